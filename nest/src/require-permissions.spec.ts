import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenVerifier } from './access-token.verifier';
import type { AuthenticatedUser } from './authenticated-user';
import { BearerAuthGuard } from './bearer-auth.guard';
import { GatehouseAuthConfigError, TOKEN_MESSAGES, UNAVAILABLE_MESSAGES, UNRESOLVED_SCOPE_MESSAGE } from './gatehouse-auth.errors';
import { resolveOptions } from './gatehouse-auth.options';
import { PERMISSIONS_KEY, RequirePermissions } from './require-permissions.decorator';
import { SessionIntrospector } from './session-introspector';
import { ProbeApp, expectInsufficientScope, expectInvalidToken, expectMissingPermissions, expectUnavailable } from './spec-support/app';
import { IntrospectionServer } from './spec-support/servers';
import { AUDIENCE, ISSUER, SECRET, claims, clientClaims, scopeRef, signWithSecret } from './spec-support/tokens';

/** More than Gatehouse puts inline (50): such a token carries `scope_ref`. */
const LONG_SCOPE = ['patients:read', ...Array.from({ length: 60 }, (_, i) => `reports:${i}`)];

describe(RequirePermissions.name, () => {
  describe('with local verification only', () => {
    let probe: ProbeApp;

    beforeAll(async () => {
      probe = await ProbeApp.start({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET });
    });

    afterAll(() => probe.close());

    it("admits a token whose scope holds the route's permission, with the scope on the principal", async () => {
      const payload = claims({ scope: 'patients:read patients:write' });
      const response = await probe.get('/patients', await signWithSecret(payload));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: payload.sub,
        username: 'alice',
        roles: ['USER'],
        permissions: ['patients:read', 'patients:write'],
        sessionId: payload.sid,
        tokenExpiresAt: payload.exp,
      });
    });

    it('refuses a token without the permission with 403, as Gatehouse does (challenge with scope, body error insufficient_scope)', async () => {
      const token = await signWithSecret(claims({ scope: 'patients:write' }));
      expectMissingPermissions(await probe.get('/patients?q=1', token), 'Missing permission: patients:read', 'patients:read', '/patients');
    });

    it('refuses a token with no scope claim, or an empty one, as holding no permission', async () => {
      for (const scope of [undefined, '']) {
        const token = await signWithSecret(claims({ scope }));
        expectMissingPermissions(await probe.get('/patients', token), 'Missing permission: patients:read', 'patients:read', '/patients');
      }
    });

    it('needs every permission a route lists, and names those missing', async () => {
      const readOnly = await signWithSecret(claims({ scope: 'patients:read' }));
      const none = await signWithSecret(claims({ scope: 'billing:read' }));
      const both = await signWithSecret(claims({ scope: 'patients:export patients:read' }));
      const scope = 'patients:read patients:export';
      expectMissingPermissions(
        await probe.get('/patients/export', readOnly),
        'Missing permission: patients:export',
        scope,
        '/patients/export',
      );
      expectMissingPermissions(
        await probe.get('/patients/export', none),
        'Missing permissions: patients:read, patients:export',
        scope,
        '/patients/export',
      );
      expect(await probe.get('/patients/export', both)).toMatchObject({ status: 200, body: { exported: true } });
    });

    it('needs the role and the permission on a route with both, the role checked first', async () => {
      const admin = await signWithSecret(claims({ roles: ['ADMIN'], scope: 'patients:read' }));
      const adminWithout = await signWithSecret(claims({ roles: ['ADMIN'] }));
      const userWith = await signWithSecret(claims({ roles: ['USER'], scope: 'patients:read' }));
      expect((await probe.get('/patients/admin', admin)).status).toBe(200);
      expectMissingPermissions(
        await probe.get('/patients/admin', adminWithout),
        'Missing permission: patients:read',
        'patients:read',
        '/patients/admin',
      );
      expectInsufficientScope(await probe.get('/patients/admin', userWith), '/patients/admin');
    });

    it('admits a service client on a permission route, with a principal of its own', async () => {
      const payload = clientClaims({ scope: 'patients:read' });
      const token = await signWithSecret(payload);
      expect((await probe.get('/patients', token)).status).toBe(200);
      expect((await probe.get('/me', token)).body).toEqual({
        id: payload.sub,
        username: payload.client_id,
        roles: [],
        permissions: ['patients:read'],
        sessionId: '',
        clientId: payload.client_id,
        tokenExpiresAt: payload.exp,
      });
    });

    it('refuses a service client on a @Roles() route: it has no roles, even if its token names some', async () => {
      expectInsufficientScope(await probe.get('/admin', await signWithSecret(clientClaims())), '/admin');
      expectInsufficientScope(await probe.get('/admin', await signWithSecret(clientClaims({ roles: ['ADMIN'] }))), '/admin');
    });

    it('refuses a service client token with a session, or whose client_id is not its sub', async () => {
      const malformed = [
        clientClaims({ sid: 'a-session' }),
        clientClaims({ client_id: 'another-client' }),
        clientClaims({ client_id: undefined }),
      ];
      for (const payload of malformed)
        expectInvalidToken(await probe.get('/patients', await signWithSecret(payload)), TOKEN_MESSAGES.malformed, '/patients');
    });

    it("still requires a user token's sid (a token without gty is a user's)", async () => {
      const token = await signWithSecret(clientClaims({ gty: undefined }));
      expectInvalidToken(await probe.get('/me', token), TOKEN_MESSAGES.malformed, '/me');
    });

    it('refuses a scope that is not a string as malformed (401), before any permission check', async () => {
      for (const scope of [['patients:read'], 42, null, { 'patients:read': true }]) {
        expectInvalidToken(await probe.get('/patients', await signWithSecret(claims({ scope }))), TOKEN_MESSAGES.malformed, '/patients');
        expectInvalidToken(await probe.get('/me', await signWithSecret(clientClaims({ scope }))), TOKEN_MESSAGES.malformed, '/me');
      }
    });

    it('refuses a malformed scope_ref, or one beside a scope, as malformed (401)', async () => {
      const ref = scopeRef(LONG_SCOPE);
      for (const payload of [
        claims({ scope_ref: 'short' }),
        claims({ scope_ref: 42 }),
        claims({ scope_ref: ref, scope: 'patients:read' }),
      ]) {
        expectInvalidToken(await probe.get('/me', await signWithSecret(payload)), TOKEN_MESSAGES.malformed, '/me');
      }
    });

    it('admits a scope_ref token on other routes, and refuses it on permission routes saying introspection is needed', async () => {
      const token = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expect(await probe.get('/me', token)).toMatchObject({ status: 200, body: { permissions: [] } });
      expectMissingPermissions(await probe.get('/patients', token), UNRESOLVED_SCOPE_MESSAGE, 'patients:read', '/patients');
      const client = await signWithSecret(clientClaims({ scope: undefined, scope_ref: scopeRef(LONG_SCOPE) }));
      expectMissingPermissions(await probe.get('/patients', client), UNRESOLVED_SCOPE_MESSAGE, 'patients:read', '/patients');
    });
  });

  describe('with introspection', () => {
    let gatehouse: IntrospectionServer;
    let probe: ProbeApp;

    beforeEach(async () => {
      gatehouse = await IntrospectionServer.start();
      probe = await ProbeApp.start({
        issuer: ISSUER,
        audience: AUDIENCE,
        secret: SECRET,
        introspection: { url: gatehouse.url, credentials: { username: 'billing-service', password: 'pw' }, cacheSeconds: 30 },
      });
    });

    afterEach(async () => {
      await probe.close();
      await gatehouse.close();
    });

    it("reads a scope_ref token's permissions from Gatehouse's answer, once per answer", async () => {
      gatehouse.answer = () => ({ active: true, token_type: 'Bearer', scope: LONG_SCOPE.join(' ') });
      const token = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expect((await probe.get('/patients', token)).status).toBe(200);
      const me = await probe.get('/me', token);
      expect(me).toMatchObject({ status: 200, body: { permissions: LONG_SCOPE } });
      expectMissingPermissions(
        await probe.get('/patients/export', token),
        'Missing permission: patients:export',
        'patients:read patients:export',
        '/patients/export',
      );
      expect(gatehouse.calls).toHaveLength(1);
    });

    it("refuses a scope_ref token whose answer lacks the permission, or has no scope (the user's permissions are gone)", async () => {
      gatehouse.answer = () => ({ active: true, scope: 'reports:1' });
      const lacking = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expectMissingPermissions(await probe.get('/patients', lacking), 'Missing permission: patients:read', 'patients:read', '/patients');
      gatehouse.answer = () => ({ active: true });
      const none = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expectMissingPermissions(await probe.get('/patients', none), 'Missing permission: patients:read', 'patients:read', '/patients');
    });

    it('keeps the scope a token carries inline (the answer resolves scope_ref only)', async () => {
      gatehouse.answer = () => ({ active: true, scope: 'patients:read' });
      const token = await signWithSecret(claims({ scope: 'patients:write' }));
      expectMissingPermissions(await probe.get('/patients', token), 'Missing permission: patients:read', 'patients:read', '/patients');
    });

    it('asks about a service client token too: active admits it, inactive is 401 naming the client', async () => {
      const activeToken = await signWithSecret(clientClaims());
      gatehouse.answer = (token) => ({ active: token === activeToken, scope: 'patients:read' });
      expect((await probe.get('/patients', activeToken)).status).toBe(200);
      expectInvalidToken(await probe.get('/patients', await signWithSecret(clientClaims())), TOKEN_MESSAGES.clientRevoked, '/patients');
      expect(gatehouse.calls).toHaveLength(2);
    });

    it('refuses an inactive scope_ref token with 401', async () => {
      gatehouse.answer = () => ({ active: false });
      const token = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expectInvalidToken(await probe.get('/patients', token), TOKEN_MESSAGES.revoked, '/patients');
    });

    it('fails closed with 503 when an active answer has a scope that is not a string', async () => {
      gatehouse.answer = () => ({ active: true, scope: ['patients:read'] });
      const token = await signWithSecret(claims({ scope_ref: scopeRef(LONG_SCOPE) }));
      expectUnavailable(await probe.get('/patients', token), UNAVAILABLE_MESSAGES.introspectionRefused, '/patients');
    });
  });

  describe('the decorator', () => {
    it('sets the metadata key Gatehouse uses', () => {
      class Probe {
        @RequirePermissions('patients:read', 'patients:write')
        handler(): void {}
      }
      expect(new Reflector().get(PERMISSIONS_KEY, Probe.prototype.handler)).toEqual(['patients:read', 'patients:write']);
    });

    it('refuses at start-up a permission Gatehouse could never grant', () => {
      for (const bad of ['Patients:read', 'patients read', '', 'x'.repeat(65)]) {
        expect(() => RequirePermissions('patients:write', bad)).toThrow(GatehouseAuthConfigError);
      }
    });
  });

  describe('on the hot path', () => {
    it("splits a token's scope once: the cached principal's list is reused by later requests", async () => {
      const options = resolveOptions({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET });
      const guard = new BearerAuthGuard(new Reflector(), new AccessTokenVerifier(options), new SessionIntrospector(options), options);
      const token = await signWithSecret(claims({ scope: 'patients:read patients:write' }));
      const request = { headers: { authorization: `Bearer ${token}` }, user: undefined as AuthenticatedUser | undefined };
      class Probe {
        handler(): void {}
      }
      const context = {
        getHandler: () => Probe.prototype.handler,
        getClass: () => Probe,
        switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
      } as unknown as ExecutionContext;
      await expect(guard.canActivate(context)).resolves.toBe(true);
      const first = request.user?.permissions;
      expect(first).toEqual(['patients:read', 'patients:write']);
      expect(Object.isFrozen(first)).toBe(true);
      expect(guard.canActivate(context)).toBe(true);
      expect(request.user?.permissions).toBe(first);
    });
  });
});
