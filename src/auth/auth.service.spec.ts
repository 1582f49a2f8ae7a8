import { HttpException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app.config';
import { MfaRequiredException } from '../common/exceptions/auth.exceptions';
import { MetricsService } from '../metrics/metrics.service';
import type { Session } from '../sessions/entities/session.entity';
import type { SessionCheck } from '../sessions/principal-cache';
import type { RotationResult } from '../sessions/refresh-token.service';
import type { SessionStart, SessionsService } from '../sessions/sessions.service';
import type { GuardedCheck, LoginThrottleService } from '../throttle/login-throttle.service';
import type { User } from '../users/entities/user.entity';
import type { PasswordService } from '../users/password.service';
import { credentialFingerprint } from '../users/users.repository';
import type { UsersService } from '../users/users.service';
import { SessionStartGates } from './session-start-gates';
import { AuthService } from './auth.service';
import type { AccessTokenClaims, TokenService } from './token.service';

describe(AuthService.name, () => {
  const user = { id: randomUUID(), username: 'ada', enabled: true, roles: [{ name: 'USER' }], passwordHash: 'hash:right-password' } as User;
  let throttleAnswer: GuardedCheck | undefined;
  let started: SessionStart[];
  let audited: string[];
  let rotation: RotationResult;
  let check: SessionCheck;
  let session: Partial<Session>;
  let claims: AccessTokenClaims;
  let metrics: MetricsService;
  let gates: SessionStartGates;

  function build(sessionsConfig: Partial<AppConfig['sessions']> = {}): AuthService {
    throttleAnswer = undefined;
    metrics = new MetricsService({ metrics: { port: 9464, host: '127.0.0.1' } } as AppConfig);
    gates = new SessionStartGates();
    started = [];
    audited = [];
    const users = {
      findForLogin: async (name: string) => (name === 'ada' ? user : null),
      upgradePasswordHash: async () => undefined,
    } as unknown as UsersService;
    const passwords = {
      verify: async (hash: string | undefined, password: string) => hash === `hash:${password}`,
    } as unknown as PasswordService;
    const tokens = {
      accessTtl: (requested?: string) => (requested ? Math.min(Number(requested), 3600) : 300),
      signAccessToken: (_subject: unknown, _sid: string, ttl: number) => ({ token: 'access', expiresIn: ttl, scope: [] }),
      verifyAccessToken: () => claims,
    } as unknown as TokenService;
    const sessions = {
      startSession: async (_user: unknown, start: SessionStart) => {
        started.push(start);
        return {
          token: 'refresh',
          sessionId: 's1',
          userId: user.id,
          expiresIn: 1209600,
          sessionExpiresAt: new Date(Date.now() + 1209600_000),
        };
      },
      refresh: async () => rotation,
      check: async () => check,
      findActive: async () => session as Session,
      revoke: async () => true,
      authenticationFacts: async () => undefined,
    } as unknown as SessionsService;
    const throttle = {
      guard: async (_u: string, _ip: string | undefined, verify: (allowed: boolean) => Promise<boolean>): Promise<GuardedCheck> => {
        if (throttleAnswer) {
          if (throttleAnswer.kind === 'locked') await verify(false);
          return throttleAnswer;
        }
        return { kind: 'checked', ok: await verify(true), lockedNow: 0 };
      },
    } as unknown as LoginThrottleService;
    const audit = { record: async (record: { type: string }) => void audited.push(record.type) } as unknown as AuditService;
    const config = { sessions: { bearerRenewalMax: 3600, ...sessionsConfig } } as AppConfig;
    return new AuthService(users, passwords, tokens, sessions, throttle, audit, gates, config, metrics);
  }

  /** The non-zero values of a `{result}` counter, by result. */
  async function counted(name: string): Promise<Record<string, number>> {
    const { values } = await metrics.registry.getSingleMetric(name)!.get();
    return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [String(v.labels.result), v.value]));
  }

  const statusOf = (attempt: Promise<unknown>) =>
    attempt.then(
      () => 0,
      (error: unknown) => (error as HttpException).getStatus(),
    );

  describe('authenticate', () => {
    it('returns the user for the right password', async () => {
      expect(await build().authenticate('ada', 'right-password', '203.0.113.7')).toBe(user);
    });

    it('answers wrong passwords, unknown users and locked names alike (null), auditing each', async () => {
      const service = build();
      expect(await service.authenticate('ada', 'wrong', undefined)).toBeNull();
      expect(await service.authenticate('nobody', 'right-password', undefined)).toBeNull();
      throttleAnswer = { kind: 'locked', lockedFor: 60 };
      expect(await service.authenticate('ada', 'right-password', undefined)).toBeNull();
      expect(audited).toEqual(['login.failure', 'login.failure', 'login.failure']);
    });

    it('audits the lock a failure started', async () => {
      const service = build();
      throttleAnswer = { kind: 'checked', ok: false, lockedNow: 60 };
      expect(await service.authenticate('ada', 'wrong', undefined)).toBeNull();
      expect(audited).toEqual(['login.failure', 'login.locked']);
    });

    it('answers a blocked address with 429', async () => {
      const service = build();
      throttleAnswer = { kind: 'ip-blocked', retryAfter: 30 };
      expect(await statusOf(service.authenticate('ada', 'right-password', '203.0.113.7'))).toBe(429);
      expect(audited).toEqual(['login.ip_blocked']);
    });
  });

  it('counts every login outcome once, under its own result (gatehouse_logins_total)', async () => {
    const service = build();
    await service.authenticate('ada', 'wrong', undefined);
    await service.authenticate('nobody', 'right-password', undefined);
    throttleAnswer = { kind: 'locked', lockedFor: 60 };
    await service.authenticate('ada', 'right-password', undefined);
    throttleAnswer = { kind: 'ip-blocked', retryAfter: 30 };
    await statusOf(service.authenticate('ada', 'right-password', undefined));
    throttleAnswer = undefined;
    const disabled = { ...user, enabled: false } as User;
    const users = (service as unknown as { usersService: { findForLogin: (name: string) => Promise<User | null> } }).usersService;
    users.findForLogin = async () => disabled;
    await service.authenticate('ada', 'right-password', undefined);
    await service.login(user, undefined, {});
    gates.register({ check: () => Promise.reject(new MfaRequiredException('t', ['totp'], 300)), allowsPasswordOnly: async () => false });
    expect(await statusOf(service.login(user, undefined, {}))).toBe(401);
    expect(await counted('gatehouse_logins_total')).toEqual({
      wrong_password: 1,
      unknown_user: 1,
      locked: 1,
      ip_blocked: 1,
      disabled: 1,
      success: 1,
      mfa_required: 1,
    });
  });

  it('counts refresh outcomes: rotated, grace, and each refusal (gatehouse_refresh_total)', async () => {
    const service = build();
    check = { ok: true, id: user.id, username: 'ada', roles: ['USER'], permissions: [] };
    const issued = { token: 'r2', sessionId: 's1', userId: user.id, expiresIn: 60, sessionExpiresAt: new Date(Date.now() + 60_000) };
    rotation = { outcome: 'rotated', issued };
    await service.refresh('token');
    rotation = { outcome: 'rotated', issued, grace: true };
    await service.refresh('token');
    for (const outcome of ['unknown', 'expired', 'revoked'] as const) {
      rotation = { outcome };
      await statusOf(service.refresh('token'));
    }
    rotation = { outcome: 'reused', sessionId: 's1', userId: user.id };
    await statusOf(service.refresh('token'));
    // Rotated, but the session's user was disabled meanwhile: the session ends, the answer is 401.
    rotation = { outcome: 'rotated', issued };
    check = { ok: false, reason: 'user-disabled' };
    expect(await statusOf(service.refresh('token'))).toBe(401);
    expect(await counted('gatehouse_refresh_total')).toEqual({
      rotated: 1,
      grace: 1,
      invalid: 1,
      expired: 1,
      revoked: 2,
      reuse_detected: 1,
    });
  });

  it('starts a password session bound to the password that was verified', async () => {
    const block = await build().login(user, undefined, { ip: '203.0.113.7' });
    expect(started).toEqual([
      {
        method: 'password',
        amr: ['pwd'],
        client: { ip: '203.0.113.7' },
        credential: credentialFingerprint(user.passwordHash),
        restriction: null,
        scope: null,
      },
    ]);
    expect(block).toEqual({
      access_token: 'access',
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: 'refresh',
      refresh_expires_in: 1209600,
    });
  });

  it.each([
    ['unknown', /not valid/],
    ['expired', /expired/],
    ['revoked', /ended/],
    ['reused', /already used/],
  ] as const)('refuses a refresh token that is %s with a 401 that says so', async (outcome, message) => {
    const service = build();
    rotation = outcome === 'reused' ? { outcome, sessionId: 's', userId: 'u' } : { outcome };
    await expect(service.refresh('token')).rejects.toThrow(message);
    expect(await statusOf(service.refresh('token'))).toBe(401);
  });

  describe('renew (BEARER_RENEWAL)', () => {
    beforeEach(() => {
      check = { ok: true, id: user.id, username: 'ada', roles: ['USER'], permissions: [] };
      const now = Math.floor(Date.now() / 1000);
      claims = { sub: user.id, sid: 's1', iat: now, exp: now + 60, preferred_username: 'ada', roles: ['USER'] };
    });

    it('never lives longer than the token presented, whatever validity_secs asks', async () => {
      session = { createdAt: new Date(), expiresAt: new Date(Date.now() + 86_400_000) };
      expect((await build().renew('t', '3600')).expires_in).toBe(60);
    });

    it('ends the chain BEARER_RENEWAL_MAX after the login', async () => {
      session = { createdAt: new Date(Date.now() - 3590_000), expiresAt: new Date(Date.now() + 86_400_000) };
      expect((await build().renew('t')).expires_in).toBeLessThanOrEqual(10);
      session = { createdAt: new Date(Date.now() - 3700_000), expiresAt: new Date(Date.now() + 86_400_000) };
      await expect(build().renew('t')).rejects.toThrow(/can no longer be renewed/);
    });
  });
});
