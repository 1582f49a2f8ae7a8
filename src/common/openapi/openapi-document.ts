import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type {
  MediaTypeObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
  SecurityRequirementObject,
  ServerObject,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import {
  AUTHENTICATION_LEVEL_KEY,
  type AuthenticationLevel,
  LOGIN_SESSION_KEY,
  LOGIN_SESSION_REASON,
  mfaReason,
  recentAuthReason,
} from '../decorators/authentication-level.decorator';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator';
import { ALLOW_SERVICE_CLIENTS_KEY, PERMISSIONS_KEY, permissionsReason } from '../decorators/require-permissions.decorator';
import { ROLES_KEY, rolesReason } from '../decorators/roles.decorator';

/** The security schemes of the document (app.setup.ts declares them). */
export const BEARER_SCHEME = 'bearer';
export const PAT_SCHEME = 'personal-access-token';
export const ERROR_BODY_REF = '#/components/schemas/ErrorBody';

/** What the guards know of a route, read from the same metadata they read. */
export interface RouteFacts {
  isPublic: boolean;
  roles: string[];
  permissions: string[];
  loginSessionOnly: boolean;
  allowServiceClients: boolean;
  level?: AuthenticationLevel;
}

/** `Controller_method`, Nest's own default: the ids Swagger UI's anchors (and its users' links) already use. */
export function operationId(controllerKey: string, methodKey: string): string {
  return `${controllerKey}_${methodKey}`;
}

/**
 * Every route handler of the application by its operationId, with what the guards will ask of a
 * caller: the metadata the bearer, roles and authentication-level guards read (handler first,
 * then its controller, as `routeMetadata` does).
 */
export function describeRoutes(app: INestApplication): Map<string, RouteFacts> {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const routes = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, () => unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const read = <T>(key: string) => reflector.getAllAndOverride<T | undefined>(key, [handler, controller]);
        routes.set(operationId(controller.name, name), {
          isPublic: read<boolean>(IS_PUBLIC_KEY) === true,
          roles: read<string[]>(ROLES_KEY) ?? [],
          permissions: read<string[]>(PERMISSIONS_KEY) ?? [],
          loginSessionOnly: read<boolean>(LOGIN_SESSION_KEY) === true,
          allowServiceClients: read<boolean>(ALLOW_SERVICE_CLIENTS_KEY) === true,
          level: read<AuthenticationLevel>(AUTHENTICATION_LEVEL_KEY),
        });
      }
    }
  }
  return routes;
}

/**
 * The `servers` of the document: Gatehouse's public base URL — PUBLIC_URL when set, else the issuer
 * when it is a URL — and `/`, the origin the document was loaded from; only `/` when neither is a
 * URL. Swagger UI calls the first by default and offers the other: a developer who opened /docs at
 * another address (localhost behind the public name) switches to `/`.
 */
export function documentServers(publicUrl: string | undefined, issuer: string): ServerObject[] {
  const base = publicUrl ?? (/^https?:\/\/[^/]+/.test(issuer) ? issuer : undefined);
  const here = { url: '/', description: 'Where this document was loaded from' };
  if (!base) return [here];
  return [{ url: base.replace(/\/+$/, ''), description: publicUrl ? 'PUBLIC_URL' : 'The issuer (JWT_ISSUER)' }, here];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The bearer guard's refusal, on every protected route. */
export const TOKEN_REASON = 'The bearer token is missing, malformed, expired or revoked';
const RESTRICTED_SESSION_REASON =
  'The session may only enrol a second factor (mfa_enrolment_required: MFA_REQUIRED_ROLES names one of your roles)';
const SERVICE_CLIENT_REASON = 'Called with a service client’s token: this route is for users';

/**
 * What the guards and Nest's router say about every route, written into the generated document, so
 * no controller has to repeat it (and none can forget it):
 * - `servers`;
 * - security: `[]` on public routes that declare none; on the others (the global bearer guard's)
 *   the bearer scheme, and the personal-access-token scheme unless the route needs a login session;
 * - 401 on protected routes and 403 wherever a guard can refuse, their descriptions listing every
 *   reason the guards have (roles, permissions, login session, MFA, recent authentication);
 * - 400 on every operation that has none (validation where it takes input; a malformed request
 *   anywhere) and 404 on every operation with a path parameter that has none;
 * - the ErrorBody schema on every 4xx and 5xx response;
 * - operationIds of aliased paths (`list[0]`, `list[1]`) made plain and URL-safe.
 * Responses keep what the decorators say (added reasons complete them); the security of a protected
 * route is always the guards' own.
 */
export function completeDocument(document: OpenAPIObject, routes: Map<string, RouteFacts>, servers: ServerObject[]): OpenAPIObject {
  document.servers = servers;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const id = operation.operationId ?? '';
      // Nest's ids: `Controller_method`, `…[n]` for each path of an aliased route, `…_get` for each method of @All().
      const facts = routes.get(id.replace(/\[\d+\]$/, '')) ?? routes.get(id.replace(new RegExp(`_${method}$`), ''));
      operation.operationId = plainOperationId(id, path);
      // Not found: left as generated (never a guess about its security); the lint in CI reports it.
      if (!facts) continue;
      completeSecurity(operation, facts);
      completeResponses(operation, facts);
    }
  }
  return document;
}

/** `list[0]` → `list`, `list[1]` at /api/v1/role → `list_role`: unique, URL-safe, and saying which path. */
function plainOperationId(id: string, path: string): string {
  const alias = /^(.*)\[(\d+)\]$/.exec(id);
  if (!alias) return id;
  if (alias[2] === '0') return alias[1];
  const segment =
    path
      .split('/')
      .filter((part) => part && !part.startsWith('{'))
      .pop() ?? alias[2];
  return `${alias[1]}_${segment.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next?: string) => (next ?? '').toUpperCase())}`;
}

function completeSecurity(operation: OperationObject, facts: RouteFacts): void {
  // Public routes that check credentials themselves (Basic on login, …) say so with @ApiBasicAuth & co.
  if (facts.isPublic) {
    operation.security ??= [];
    return;
  }
  const accepted: SecurityRequirementObject[] = [{ [BEARER_SCHEME]: [] }];
  if (!facts.loginSessionOnly) accepted.push({ [PAT_SCHEME]: [] });
  operation.security = accepted;
}

function completeResponses(operation: OperationObject, facts: RouteFacts): void {
  const responses = operation.responses;
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  const takesInput = operation.requestBody !== undefined || parameters.some((p) => p.in === 'query' || p.in === 'path');
  if (!facts.isPublic) {
    const level = facts.level;
    addReasons(responses, '401', [
      TOKEN_REASON,
      ...(level?.mfa ? [mfaReason()] : []),
      ...(level?.maxAge !== undefined ? [recentAuthReason(level.maxAge)] : []),
    ]);
    const forbidden = [
      ...(facts.roles.length > 0 ? [rolesReason(facts.roles)] : []),
      ...(facts.permissions.length > 0 ? [permissionsReason(facts.permissions)] : []),
      ...(facts.loginSessionOnly ? [LOGIN_SESSION_REASON] : []),
      ...(!facts.loginSessionOnly && facts.permissions.length === 0 && !facts.allowServiceClients ? [SERVICE_CLIENT_REASON] : []),
      ...(level?.allowRestricted ? [] : [RESTRICTED_SESSION_REASON]),
    ];
    if (forbidden.length > 0) addReasons(responses, '403', forbidden);
  }
  // Decorators' own 400 and 404 descriptions are more precise than these; they are only the fallback.
  responses['400'] ??= {
    description: takesInput
      ? 'The request is not valid: the message names the parameter or field'
      : 'The request is malformed (a bad URL encoding, a missing Host header)',
  };
  const pathParameters = parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const notFound = responses['404'] as ResponseObject | ReferenceObject | undefined;
  if (pathParameters.length > 0 && !(notFound && ('$ref' in notFound || notFound.description))) {
    responses['404'] = { ...notFound, description: `Nothing found for the ${pathParameters.join(' and ')} in the path` };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!response || '$ref' in response) continue;
    if (/^[45]/.test(status)) useErrorBody(response);
    response.description ||= STATUS_CODES[Number(status)] ?? status;
  }
}

/**
 * Adds the reasons to the response of that status, keeping the description a decorator or the
 * controller gave it: one reason stays a sentence, several become a list.
 */
function addReasons(responses: OperationObject['responses'], status: string, reasons: string[]): void {
  const existing = responses[status] as ResponseObject | ReferenceObject | undefined;
  if (existing && '$ref' in existing) return;
  const given = existing?.description ? existing.description.split(/\n+/).map((line) => line.replace(/^- /, '')) : [];
  // The guards' reasons first, in their order, then what the route adds.
  const all = [...reasons, ...given.filter((line) => !reasons.some((reason) => line.includes(reason)))];
  const description = all.length === 1 ? all[0] : all.map((line) => `- ${line}`).join('\n');
  responses[status] = { ...existing, description };
}

/** The error body as the response's schema; an example a controller gave moves beside it (OpenAPI 3.0 ignores siblings of $ref). */
function useErrorBody(response: ResponseObject): void {
  const content = (response.content ??= {});
  const media: MediaTypeObject = (content['application/json'] ??= {});
  const schema = media.schema as (SchemaObject & ReferenceObject) | undefined;
  // A schema of its own stays (the server must not fail to start over its documentation);
  // test/openapi-lint.e2e-spec.ts insists on ErrorBody for every error response.
  if (schema && (schema.$ref || schema.type || schema.properties || schema.allOf)) return;
  if (schema?.example !== undefined) media.example ??= schema.example;
  media.schema = { $ref: ERROR_BODY_REF };
}
