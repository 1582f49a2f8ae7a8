import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import { LOGIN_SESSION_REASON, recentAuthReason } from '../decorators/authentication-level.decorator';
import { permissionsReason } from '../decorators/require-permissions.decorator';
import { ERROR_BODY_REF, RouteFacts, TOKEN_REASON, completeDocument, documentServers } from './openapi-document';

const PROTECTED: RouteFacts = { isPublic: false, roles: [], permissions: [], loginSessionOnly: false, allowServiceClients: false };
const PUBLIC: RouteFacts = { ...PROTECTED, isPublic: true };

function documentWith(paths: Record<string, Record<string, Partial<OperationObject>>>): OpenAPIObject {
  const filled = Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(Object.entries(item).map(([method, op]) => [method, { responses: { '200': { description: 'OK' } }, ...op }])),
    ]),
  );
  return { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: filled, components: {} } as OpenAPIObject;
}

function complete(paths: Record<string, Record<string, Partial<OperationObject>>>, routes: Record<string, RouteFacts>) {
  return completeDocument(documentWith(paths), new Map(Object.entries(routes)), [{ url: '/' }]).paths;
}

describe('documentServers', () => {
  it('names PUBLIC_URL first, then the origin the document came from', () => {
    expect(documentServers('https://auth.example.org/', 'https://other.example.org')).toEqual([
      { url: 'https://auth.example.org', description: 'PUBLIC_URL' },
      { url: '/', description: expect.any(String) },
    ]);
  });

  it('falls back to the issuer when it is a URL, and to "/" alone when it is not', () => {
    expect(documentServers(undefined, 'http://localhost:3000')[0]).toEqual({
      url: 'http://localhost:3000',
      description: expect.any(String),
    });
    expect(documentServers(undefined, 'gatehouse')).toEqual([{ url: '/', description: expect.any(String) }]);
  });
});

describe('completeDocument', () => {
  it('gives public operations security: [] and keeps the credentials a public route declares itself', () => {
    const paths = complete(
      { '/open': { get: { operationId: 'A_open' } }, '/login': { post: { operationId: 'A_login', security: [{ basic: [] }] } } },
      { A_open: PUBLIC, A_login: PUBLIC },
    );
    expect(paths['/open'].get?.security).toEqual([]);
    expect(paths['/open'].get?.responses['401']).toBeUndefined();
    expect(paths['/login'].post?.security).toEqual([{ basic: [] }]);
  });

  it('documents protected operations with the bearer schemes, without personal access tokens where a login session is needed', () => {
    const paths = complete(
      { '/a': { get: { operationId: 'A_a' } }, '/b': { get: { operationId: 'A_b' } } },
      { A_a: PROTECTED, A_b: { ...PROTECTED, loginSessionOnly: true } },
    );
    expect(paths['/a'].get?.security).toEqual([{ bearer: [] }, { 'personal-access-token': [] }]);
    expect(paths['/b'].get?.security).toEqual([{ bearer: [] }]);
    expect(paths['/a'].get?.responses['401']).toMatchObject({ description: TOKEN_REASON });
  });

  it('lists every reason for a 401 or 403 the guards have, once, keeping what the route said', () => {
    const paths = complete(
      {
        '/x/{id}': {
          delete: {
            operationId: 'A_x',
            parameters: [{ in: 'path', name: 'id', required: true }],
            responses: {
              '204': { description: '' },
              '401': { description: recentAuthReason(300) },
              '403': { description: permissionsReason(['users:write']) },
            },
          },
        },
      },
      { A_x: { ...PROTECTED, permissions: ['users:write'], loginSessionOnly: true, level: { maxAge: 300 } } },
    );
    const responses = paths['/x/{id}'].delete?.responses ?? {};
    expect(responses['401']).toMatchObject({ description: `- ${TOKEN_REASON}\n- ${recentAuthReason(300)}` });
    const forbidden = (responses['403'] as { description: string }).description.split('\n');
    expect(forbidden.slice(0, 2)).toEqual([`- ${permissionsReason(['users:write'])}`, `- ${LOGIN_SESSION_REASON}`]);
    expect(forbidden).toHaveLength(3); // and the session restricted to enrolling a second factor
    expect(responses['404']).toMatchObject({ description: 'Nothing found for the id in the path' });
    expect(responses['204']).toEqual({ description: 'No Content' });
  });

  it('puts the ErrorBody schema on every error response, moving an example a route gave beside it', () => {
    const example = { status: 401, error: 'mfa_required' };
    const paths = complete(
      {
        '/login': {
          post: {
            operationId: 'A_login',
            responses: {
              '200': { description: 'OK' },
              '401': { description: 'no', content: { 'application/json': { schema: { example } } } },
            },
          },
        },
      },
      { A_login: PUBLIC },
    );
    const responses = paths['/login'].post?.responses ?? {};
    expect(responses['401']).toEqual({ description: 'no', content: { 'application/json': { schema: { $ref: ERROR_BODY_REF }, example } } });
    expect(responses['400']).toMatchObject({ content: { 'application/json': { schema: { $ref: ERROR_BODY_REF } } } });
  });

  it('leaves an error response with a schema of its own, and an operation no route handler answers, as generated', () => {
    const own = {
      '/a': {
        get: {
          operationId: 'A_a',
          responses: { '404': { description: 'x', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    };
    expect(complete(own as never, { A_a: PUBLIC })['/a'].get?.responses['404']).toEqual(own['/a'].get.responses['404']);
    expect(complete({ '/a': { get: { operationId: 'B_b' } } }, { A_a: PUBLIC })['/a'].get).toEqual({
      operationId: 'B_b',
      responses: { '200': { description: 'OK' } },
    });
  });

  it('makes the operationIds of an aliased route plain: the first path keeps the name, the others add theirs', () => {
    const paths = complete(
      { '/api/roles': { get: { operationId: 'R_list[0]' } }, '/api/role-alias': { get: { operationId: 'R_list[1]' } } },
      { R_list: PROTECTED },
    );
    expect(paths['/api/roles'].get?.operationId).toBe('R_list');
    expect(paths['/api/role-alias'].get?.operationId).toBe('R_list_roleAlias');
  });
});
