import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app.config';
import type { Transactions, Tx } from '../database/transaction';
import type { KeyStore } from '../keys/key-store';
import type { RefreshToken } from './entities/refresh-token.entity';
import type { Session } from './entities/session.entity';
import { RefreshTokenService, hashToken } from './refresh-token.service';
import type { SessionsRepository, SpentToken } from './sessions.repository';

/** The two tables in memory, with the repository's semantics (conditional spends included). */
class FakeSessionsRepository {
  readonly sessions = new Map<string, Session>();
  readonly tokens = new Map<string, RefreshToken>();

  addSession(fields: Partial<Session> = {}): Session {
    const session = { id: randomUUID(), userId: randomUUID(), createdAt: new Date(), revokedAt: null, ...fields } as Session;
    this.sessions.set(session.id, session);
    return session;
  }

  async insertToken(_tx: Tx, token: { hash: string; sessionId: string; userId: string; expiresAt: Date; id: string }): Promise<void> {
    this.tokens.set(token.hash, {
      id: token.id,
      tokenHash: token.hash,
      sessionId: token.sessionId,
      userId: token.userId,
      expiresAt: token.expiresAt,
      spentAt: null,
      revokedAt: null,
    } as RefreshToken);
  }

  async spendLive(_tx: Tx, tokenHash: string, now: Date): Promise<SpentToken | undefined> {
    const token = this.tokens.get(tokenHash);
    const session = token && this.sessions.get(token.sessionId);
    if (!token || !session || token.spentAt || token.revokedAt || token.expiresAt <= now || session.revokedAt) return undefined;
    token.spentAt = now;
    return { sessionId: token.sessionId, userId: token.userId, sessionCreatedAt: session.createdAt };
  }

  async touchLive(_tx: Tx, sessionId: string, now: Date, expiresAt: Date): Promise<boolean> {
    const session = this.sessions.get(sessionId);
    if (!session || session.revokedAt) return false;
    Object.assign(session, { lastUsedAt: now, expiresAt });
    return true;
  }

  async recordUse(_tx: Tx, id: string, now: Date, expiresAt: Date): Promise<void> {
    Object.assign(this.sessions.get(id)!, { lastUsedAt: now, expiresAt });
  }

  async findToken(tokenHash: string): Promise<RefreshToken | null> {
    return this.tokens.get(tokenHash) ?? null;
  }

  async findTokenById(_tx: Tx, id: string): Promise<RefreshToken> {
    return [...this.tokens.values()].find((token) => token.id === id)!;
  }

  async findSession(id: string): Promise<Session | null> {
    return this.sessions.get(id) ?? null;
  }

  /** What `spend` answers next: true (it spends), or false (another request spent it first). */
  spendWins = true;
  async spend(_tx: Tx, id: string, now: Date): Promise<boolean> {
    const token = await this.findTokenById({} as Tx, id);
    if (!this.spendWins) {
      token.spentAt = now;
      return false;
    }
    token.spentAt = now;
    return true;
  }
}

describe(RefreshTokenService.name, () => {
  const DAY = 86_400;
  let repository: FakeSessionsRepository;
  let recorded: string[];
  const build = (sessions: Partial<AppConfig['sessions']> = {}) => {
    repository = new FakeSessionsRepository();
    recorded = [];
    const config = { jwt: { refreshTtl: 14 * DAY }, sessions: { reuseGrace: 10, maxLifetime: 30 * DAY, ...sessions } } as AppConfig;
    const transactions = { run: <T>(work: (tx: Tx) => Promise<T>) => work({} as Tx) } as Transactions;
    const keys = { deriveKey: () => createSecretKey(randomBytes(32)) } as unknown as KeyStore;
    const audit = { recordIn: async (_tx: Tx, record: { type: string }) => void recorded.push(record.type) } as unknown as AuditService;
    return new RefreshTokenService(config, repository as unknown as SessionsRepository, transactions, keys, audit);
  };

  async function firstToken(service: RefreshTokenService, session = repository.addSession()): Promise<string> {
    return (await service.issueFirst({} as Tx, session.id, session.userId, new Date())).token;
  }

  it('rotates a live token: a new token, the old one spent, the session extended, the event recorded', async () => {
    const service = build();
    const token = await firstToken(service);
    const result = await service.rotate(token);
    expect(result.outcome).toBe('rotated');
    if (result.outcome !== 'rotated') return;
    expect(result.issued.token).not.toBe(token);
    expect(result.issued.expiresIn).toBe(14 * DAY);
    expect(repository.tokens.get(hashToken(token))!.spentAt).not.toBeNull();
    expect(repository.tokens.get(hashToken(result.issued.token))!.spentAt).toBeNull();
    expect(recorded).toEqual(['token.refresh']);
  });

  it('answers an unknown token with "unknown", and a token of an ended session with "revoked"', async () => {
    const service = build();
    expect((await service.rotate('never-issued')).outcome).toBe('unknown');
    const session = repository.addSession();
    const token = await firstToken(service, session);
    session.revokedAt = new Date();
    expect((await service.rotate(token)).outcome).toBe('revoked');
  });

  it('answers an expired token with "expired"', async () => {
    const service = build();
    const token = await firstToken(service);
    repository.tokens.get(hashToken(token))!.expiresAt = new Date(Date.now() - 1000);
    expect((await service.rotate(token)).outcome).toBe('expired');
  });

  it('gives the live successor again to a replay within the grace (two tabs)', async () => {
    const service = build();
    const token = await firstToken(service);
    const first = await service.rotate(token);
    const again = await service.rotate(token);
    if (first.outcome !== 'rotated' || again.outcome !== 'rotated') throw new Error('expected two answers with a token');
    expect(again.issued.token).toBe(first.issued.token);
    expect(again.issued.sessionId).toBe(first.issued.sessionId);
    expect(repository.tokens.size).toBe(2);
  });

  it('treats a token two rotations behind as reuse, even within the grace', async () => {
    const service = build();
    const r0 = await firstToken(service);
    const r1 = await service.rotate(r0);
    if (r1.outcome !== 'rotated') throw new Error('expected a rotation');
    expect((await service.rotate(r1.issued.token)).outcome).toBe('rotated');
    expect(await service.rotate(r0)).toMatchObject({ outcome: 'reused' });
  });

  it('treats any replay as reuse without a grace', async () => {
    const service = build({ reuseGrace: 0 });
    const token = await firstToken(service);
    await service.rotate(token);
    expect(await service.rotate(token)).toMatchObject({ outcome: 'reused' });
  });

  it('answers a lost race for the same token with the winner’s successor, or reuse when there is none', async () => {
    const service = build();
    const session = repository.addSession();
    const token = await firstToken(service, session);
    // Not live for the fast path (as if another request held it), then the general path loses the spend.
    const spendLive = repository.spendLive.bind(repository);
    repository.spendLive = async () => undefined;
    repository.spendWins = false;
    expect(await service.rotate(token)).toMatchObject({ outcome: 'reused' });
    repository.spendLive = spendLive;
  });

  it('issues the successor on the general path when the token was live but not spent by the fast path', async () => {
    const service = build();
    const token = await firstToken(service);
    repository.spendLive = async () => undefined;
    const result = await service.rotate(token);
    expect(result.outcome).toBe('rotated');
    expect(recorded).toEqual(['token.refresh']);
  });

  it('reports a session ended between the spend and the extension as revoked', async () => {
    const service = build();
    const token = await firstToken(service);
    repository.touchLive = async () => false;
    expect((await service.rotate(token)).outcome).toBe('revoked');
  });

  it('never extends a session past its start plus SESSION_MAX_LIFETIME, and says so in expiresIn', async () => {
    const service = build({ maxLifetime: 3600 });
    const session = repository.addSession({ createdAt: new Date(Date.now() - 3000 * 1000) });
    const token = await firstToken(service, session);
    const result = await service.rotate(token);
    if (result.outcome !== 'rotated') throw new Error('expected a rotation');
    expect(result.issued.expiresIn).toBeLessThanOrEqual(600);
    expect(result.issued.sessionExpiresAt.getTime()).toBeLessThanOrEqual(session.createdAt.getTime() + 3600 * 1000);
  });
});
