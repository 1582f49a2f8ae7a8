import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import type { BearerVerifiers } from '../auth/verifiers/bearer-verifiers';
import type { AppConfig } from '../config/app.config';
import type { RevocationBus, RevocationEvent } from '../sessions/revocation-bus';
import type { SessionsService } from '../sessions/sessions.service';
import type { PasswordService } from '../users/password.service';
import { ClientsService } from './clients.service';
import { PAT_PREFIX, newSecret } from './credential-secrets';
import type { CredentialsRepository } from './credentials.repository';
import type { PatUseRecorder } from './pat-use-recorder';
import { PersonalAccessTokenVerifier } from './personal-access-token.verifier';
import type { PersonalAccessTokensService } from './personal-access-tokens.service';

/**
 * A revocation that arrives while a credential is being read from the database: the read may have
 * seen the credential before the change, and the event's drop ran before there was anything to drop.
 * The answer goes back, but it is not kept (RevocationBus.generation).
 */
describe('credentials read while a revocation arrives', () => {
  const config = { sessions: { revocationMaxLag: 5 } } as AppConfig;
  let handlers: ((event: RevocationEvent) => void)[];
  let bus: { trustedUntil: number; generation: number; onEvent: (h: (e: RevocationEvent) => void) => void };
  /** Settles a held read; the read itself took its row before. */
  let release: () => void;
  let held: Promise<void>;

  beforeEach(() => {
    handlers = [];
    bus = { trustedUntil: Number.POSITIVE_INFINITY, generation: 0, onEvent: (handler) => void handlers.push(handler) };
    held = new Promise((resolve) => (release = resolve));
  });

  const deliver = (event: RevocationEvent) => {
    bus.generation++;
    for (const handler of handlers) handler(event);
  };

  it('does not keep a service client read before it was disabled', async () => {
    const id = randomUUID();
    let enabled = true;
    const repository = {
      findClient: async () => {
        const row = { id, name: 'etl', scopes: ['users:read'], enabled };
        await held;
        return row;
      },
    } as unknown as CredentialsRepository;
    const clients = new ClientsService(config, repository, {} as PasswordService, {} as AuditService, bus as unknown as RevocationBus);
    const answer = clients.check(id);
    enabled = false;
    deliver({ kind: 'credential', id });
    release();
    expect(await answer).toMatchObject({ ok: true });
    expect(clients.checkCached(id)).toBeUndefined();
    expect(await clients.check(id)).toEqual({ ok: false, reason: 'disabled' });
  });

  it('does not keep a personal access token read before it was revoked', async () => {
    const id = randomUUID();
    const userId = randomUUID();
    let revokedAt: Date | null = null;
    const repository = {
      findPatByHash: async () => {
        const row = { id, userId, scopes: ['users:read'], expiresAt: new Date(Date.now() + 60_000), revokedAt };
        await held;
        return row;
      },
    } as unknown as CredentialsRepository;
    const owner = { ok: true as const, id: userId, username: 'ada', roles: ['USER'], permissions: ['users:read'] };
    const sessions = { checkUser: async () => owner, checkUserCached: () => owner } as unknown as SessionsService;
    const verifier = new PersonalAccessTokenVerifier(
      config as never,
      {} as BearerVerifiers,
      repository,
      {} as PersonalAccessTokensService,
      sessions,
      bus as unknown as RevocationBus,
      { record: () => undefined } as unknown as PatUseRecorder,
    );
    const token = { raw: newSecret(PAT_PREFIX), source: 'authorization' as const };
    const answer = verifier.verify(token);
    revokedAt = new Date();
    deliver({ kind: 'credential', id });
    release();
    expect(await answer).toMatchObject({ id: userId, credentialId: id });
    expect(verifier.verifyCached(token)).toBeUndefined();
    await expect(verifier.verify(token)).rejects.toThrow(/revoked/);
  });
});
