import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app.config';
import type { Transactions, Tx } from '../database/transaction';
import { MetricsService } from '../metrics/metrics.service';
import type { Account, UsersRepository } from '../users/users.repository';
import type { Session } from './entities/session.entity';
import type { RefreshTokenService } from './refresh-token.service';
import type { RevocationBus, RevocationEvent } from './revocation-bus';
import type { NewSession, SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

describe(SessionsService.name, () => {
  let sessions: Map<string, Session>;
  let accounts: Map<string, Account>;
  let published: RevocationEvent[];
  let audited: string[];
  let reads: number;
  /** When set, a read answers only once it resolves (what it read was taken before). */
  let readsHeld: Promise<void> | undefined;

  function build(revocationMaxLag = 5): SessionsService {
    sessions = new Map();
    accounts = new Map();
    published = [];
    audited = [];
    reads = 0;
    readsHeld = undefined;
    const repository = {
      insertSession: async (_tx: Tx, fields: NewSession) => {
        const session = {
          id: randomUUID(),
          createdAt: fields.now,
          revokedAt: null,
          ...fields,
          amr: fields.amr.join(','),
        } as unknown as Session;
        sessions.set(session.id, session);
        return session;
      },
      findForCheck: async (id: string) => {
        reads++;
        const session = sessions.get(id);
        const read = session
          ? { userId: session.userId, expiresAt: session.expiresAt, revoked: session.revokedAt !== null, credential: session.credential }
          : undefined;
        await readsHeld;
        return read;
      },
      existsForUser: async (id: string, userId: string) => sessions.get(id)?.userId === userId,
      revoke: async (id: string) => void (sessions.get(id)!.revokedAt ??= new Date()),
      revokeAllForUser: async (userId: string, except?: string) => {
        for (const session of sessions.values()) if (session.userId === userId && session.id !== except) session.revokedAt ??= new Date();
      },
      rebind: async (id: string, credential: string | null) => void (sessions.get(id)!.credential = credential),
    } as unknown as SessionsRepository;
    const users = {
      findAccount: async (id: string) => {
        const read = accounts.get(id) ?? null;
        await readsHeld;
        return read;
      },
    } as unknown as UsersRepository;
    const refreshTokens = {
      firstExpiry: (now: Date) => new Date(now.getTime() + 3600_000),
      issueFirst: async (_tx: Tx, sessionId: string, userId: string) => ({
        token: 't',
        sessionId,
        userId,
        expiresIn: 3600,
        sessionExpiresAt: new Date(),
      }),
    } as unknown as RefreshTokenService;
    const transactions = { run: <T>(work: (tx: Tx) => Promise<T>) => work({} as Tx) } as Transactions;
    const audit = {
      recordIn: async (_tx: Tx, record: { type: string }) => void audited.push(record.type),
      record: async () => undefined,
    } as unknown as AuditService;
    const handlers: ((event: RevocationEvent) => void)[] = [];
    const bus = {
      trustedUntil: Number.POSITIVE_INFINITY,
      generation: 0,
      onEvent: (handler: (event: RevocationEvent) => void) => handlers.push(handler),
      publish: async (event: RevocationEvent) => {
        published.push(event);
        bus.generation++;
        for (const handler of handlers) handler(event);
      },
    };
    const service = new SessionsService(
      { sessions: { revocationMaxLag } } as AppConfig,
      repository,
      users,
      refreshTokens,
      transactions,
      audit,
      bus as unknown as RevocationBus,
      new MetricsService({} as AppConfig),
    );
    service.onModuleInit();
    return service;
  }

  function account(id: string, fields: Partial<Account> = {}): void {
    accounts.set(id, { identity: { id, username: 'ada', roles: ['USER'], permissions: [] }, enabled: true, credential: 'fp-1', ...fields });
  }

  /** A user with an account and one password session. */
  async function userWithSession(): Promise<{ service: SessionsService; userId: string; sessionId: string }> {
    const service = build();
    const userId = randomUUID();
    account(userId);
    const { sessionId } = await service.startSession(
      { id: userId, username: 'ada' },
      { method: 'password', amr: ['pwd'], client: {}, credential: 'fp-1' },
    );
    return { service, userId, sessionId };
  }

  it('starts a session recording how it started, with its first token and the login event', async () => {
    const service = build();
    const userId = randomUUID();
    const issued = await service.startSession(
      { id: userId, username: 'ada' },
      { method: 'password', amr: ['pwd'], client: { ip: '203.0.113.7' }, credential: 'fp-1' },
    );
    const session = sessions.get(issued.sessionId)!;
    expect(session).toMatchObject({ userId, authMethod: 'password', amr: 'pwd', credential: 'fp-1', ip: '203.0.113.7' });
    expect(audited).toEqual(['login.success']);
  });

  it('checks a session once, then answers from the cache', async () => {
    const { service, userId, sessionId } = await userWithSession();
    expect(await service.check(userId, sessionId)).toEqual({ ok: true, id: userId, username: 'ada', roles: ['USER'], permissions: [] });
    expect(service.checkCached(userId, sessionId)).toMatchObject({ ok: true });
    await service.check(userId, sessionId);
    expect(reads).toBe(1);
    // Another user's id with this session id is not this session.
    expect(service.checkCached(randomUUID(), sessionId)).toEqual({ ok: false, reason: 'unknown-session' });
  });

  it.each([
    ['an unknown session', (s: Session, _a: string) => sessions.delete(s.id), 'unknown-session'],
    ['an ended session', (s: Session) => (s.revokedAt = new Date()), 'revoked'],
    ['an expired session', (s: Session) => (s.expiresAt = new Date(Date.now() - 1)), 'expired'],
    ['a disabled user', (_s: Session, id: string) => account(id, { enabled: false }), 'user-disabled'],
    ['a deleted user', (_s: Session, id: string) => accounts.delete(id), 'user-unknown'],
    ['a changed password', (_s: Session, id: string) => account(id, { credential: 'fp-2' }), 'credentials-changed'],
  ] as const)('refuses %s', async (_case, change, reason) => {
    const service = build(0);
    const userId = randomUUID();
    account(userId);
    const { sessionId } = await service.startSession(
      { id: userId, username: 'ada' },
      { method: 'password', amr: ['pwd'], client: {}, credential: 'fp-1' },
    );
    sessions.get(sessionId)!.expiresAt = new Date(Date.now() + 60_000);
    change(sessions.get(sessionId)!, userId);
    expect(await service.check(userId, sessionId)).toEqual({ ok: false, reason });
  });

  it('binds the session kept by a password change to the new password, and ends the others', async () => {
    const service = build();
    const userId = randomUUID();
    const start = { method: 'password', amr: ['pwd'], client: {}, credential: 'fp-1' };
    const kept = await service.startSession({ id: userId, username: 'ada' }, start);
    const other = await service.startSession({ id: userId, username: 'ada' }, start);
    await service.onCredentialsChanged({ userId, keepSessionId: kept.sessionId, credential: 'fp-2' });
    expect(sessions.get(kept.sessionId)).toMatchObject({ revokedAt: null, credential: 'fp-2' });
    expect(sessions.get(other.sessionId)!.revokedAt).not.toBeNull();
    expect(published).toEqual([{ kind: 'user', id: userId }]);
  });

  it('ends sessions on an administrator’s role change, and only re-reads them on a provider’s', async () => {
    const service = build();
    const userId = randomUUID();
    const { sessionId } = await service.startSession(
      { id: userId, username: 'ada' },
      { method: 'oidc:kc', amr: [], client: {}, credential: null },
    );
    await service.onRolesChanged({ userId, endSessions: false });
    expect(sessions.get(sessionId)!.revokedAt).toBeNull();
    expect(published).toEqual([{ kind: 'user', id: userId }]);
    await service.onRolesChanged({ userId, endSessions: true });
    expect(sessions.get(sessionId)!.revokedAt).not.toBeNull();
  });

  it('ends one session of its own user only', async () => {
    const service = build();
    const userId = randomUUID();
    const { sessionId } = await service.startSession(
      { id: userId, username: 'ada' },
      { method: 'password', amr: ['pwd'], client: {}, credential: 'fp-1' },
    );
    expect(await service.revoke(randomUUID(), sessionId)).toBe(false);
    expect(sessions.get(sessionId)!.revokedAt).toBeNull();
    expect(await service.revoke(userId, sessionId)).toBe(true);
    expect(published).toEqual([{ kind: 'session', id: sessionId }]);
  });

  it('answers a read that a revocation overtook, but does not keep it', async () => {
    const { service, userId, sessionId } = await userWithSession();
    let release!: () => void;
    // The session read, then the session ended before its answer is kept.
    readsHeld = new Promise((resolve) => (release = resolve));
    const session = service.check(userId, sessionId);
    await service.revoke(userId, sessionId);
    release();
    expect(await session).toMatchObject({ ok: true });
    readsHeld = undefined;
    expect(service.checkCached(userId, sessionId)).toBeUndefined();
    expect(await service.check(userId, sessionId)).toEqual({ ok: false, reason: 'revoked' });
    // The user read (for a personal access token), then disabled before the answer is kept.
    readsHeld = new Promise((resolve) => (release = resolve));
    const user = service.checkUser(userId);
    account(userId, { enabled: false });
    await service.onUserDisabled({ userId } as Parameters<SessionsService['onUserDisabled']>[0]);
    release();
    expect(await user).toMatchObject({ ok: true });
    readsHeld = undefined;
    expect(service.checkUserCached(userId)).toBeUndefined();
    expect(await service.checkUser(userId)).toEqual({ ok: false, reason: 'user-disabled' });
  });
});
