import { Inject, Injectable, NotFoundException, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { BearerVerifier, PresentedToken, unlessInvalid } from '../auth/verifiers/bearer-verifier';
import { BearerVerifiers } from '../auth/verifiers/bearer-verifiers';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import { AuthenticatedUser, authenticatedUser } from '../common/interfaces/authenticated-user';
import { grantedPermissions } from '../common/permissions';
import { appConfig } from '../config/app.config';
import { RevocationBus } from '../sessions/revocation-bus';
import { SessionsService, UserCheck } from '../sessions/sessions.service';
import { PAT_PREFIX, isWellFormedSecret, secretDigest } from './credential-secrets';
import { CredentialsRepository } from './credentials.repository';
import { LAST_USED_INTERVAL_MS, PatUseRecorder } from './pat-use-recorder';
import { PersonalAccessTokensService } from './personal-access-tokens.service';

/** Tokens remembered per instance (about 0.3 KB each). */
const CACHED = 50_000;
/** Hashes of well-formed tokens that exist nowhere, remembered so a flood of them costs no reads. */
const UNKNOWN_CACHED = 10_000;

const MESSAGES = {
  malformed: 'The personal access token is malformed (a gth_ token with a checksum is expected)',
  unknown: 'The personal access token is not valid',
  revoked: 'The personal access token has been revoked',
  expired: 'The personal access token has expired',
  'user-disabled': 'The personal access token’s owner is disabled',
  'user-unknown': 'The personal access token’s owner no longer exists',
} as const;

interface CachedToken {
  id: string;
  userId: string;
  scopes: string[];
  /** Epoch ms. */
  expiresAt: number;
  /** Set once the token is known to be revoked. */
  revoked: boolean;
  /** When this instance last recorded a use (epoch ms). */
  touchedAt: number;
  /** The permissions granted from the owner's last identity (recomputed when it changes). */
  granted?: { of: object; permissions: string[] };
}

/**
 * Verifies personal access tokens (`Authorization: Bearer gth_…`): a verifier in the bearer guard's
 * list, claiming tokens by their prefix. The checksum is checked first (a mistyped or made-up token
 * costs no lookup); then the token's SHA-256 is looked up once and cached — revocations arrive as
 * events (RevocationBus, every instance), the owner's identity is SessionsService's cached user
 * check — so a request with a known token reads nothing from the database. The token may use its
 * scopes as far as the owner holds them now; a disabled owner disables it.
 */
@Injectable()
export class PersonalAccessTokenVerifier implements BearerVerifier, OnModuleInit {
  readonly name = 'personal access tokens';
  readonly acceptsAssertions = false;
  readonly cacheable = false;
  private readonly byHash = new Map<string, CachedToken>();
  private readonly hashById = new Map<string, string>();
  private readonly unknown = new Set<string>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly verifiers: BearerVerifiers,
    private readonly repository: CredentialsRepository,
    private readonly tokens: PersonalAccessTokensService,
    private readonly sessions: SessionsService,
    private readonly bus: RevocationBus,
    private readonly uses: PatUseRecorder,
  ) {}

  onModuleInit(): void {
    this.verifiers.register(this);
    this.bus.onEvent((event) => {
      if (event.kind === 'credential') this.forget(event.id);
      else if (event.kind === 'all') this.clear();
    });
  }

  claims(token: PresentedToken): boolean {
    return token.raw.startsWith(PAT_PREFIX);
  }

  verifyCached(token: PresentedToken): AuthenticatedUser | undefined {
    // With REVOCATION_MAX_LAG=0 nothing is cached: every request reads afresh.
    if (this.config.sessions.revocationMaxLag === 0 || Date.now() > this.bus.trustedUntil) return undefined;
    const entry = this.byHash.get(secretDigest(token.raw));
    if (!entry) return undefined;
    const owner = this.sessions.checkUserCached(entry.userId);
    return owner ? this.admit(entry, owner) : undefined;
  }

  async verify(token: PresentedToken): Promise<AuthenticatedUser> {
    const entry = await this.lookup(token.raw);
    return this.admit(entry, await this.sessions.checkUser(entry.userId));
  }

  /** RFC 7662 for a personal access token: active while it and its owner are. */
  async introspect(token: PresentedToken): Promise<Record<string, unknown> | undefined> {
    const principal = await unlessInvalid(() => this.verify(token));
    if (!principal) return undefined;
    return {
      active: true,
      sub: principal.id,
      username: principal.username,
      roles: principal.roles,
      scope: principal.permissions.join(' '),
      exp: principal.tokenExpiresAt,
      token_type: 'personal_access_token',
      pat_id: principal.credentialId,
    };
  }

  /** RFC 7009: whoever holds a personal access token may revoke it (a leaked one is ended by pasting it). */
  async revoke(token: PresentedToken): Promise<void> {
    const entry = await unlessInvalid(() => this.lookup(token.raw));
    if (!entry || entry.revoked) return;
    try {
      await this.tokens.revoke(entry.userId, entry.id, null, 'revocation endpoint');
    } catch (error) {
      // Revoked meanwhile (a concurrent request): nothing left to do.
      if (!(error instanceof NotFoundException)) throw error;
    }
  }

  private admit(entry: CachedToken, owner: UserCheck): AuthenticatedUser {
    const now = Date.now();
    if (entry.revoked) throw new InvalidTokenException(MESSAGES.revoked);
    if (entry.expiresAt <= now) throw new InvalidTokenException(MESSAGES.expired);
    if (!owner.ok) throw new InvalidTokenException(MESSAGES[owner.reason]);
    let granted = entry.granted;
    if (granted?.of !== owner) entry.granted = granted = { of: owner, permissions: grantedPermissions(owner.permissions, entry.scopes) };
    if (now - entry.touchedAt >= LAST_USED_INTERVAL_MS) {
      entry.touchedAt = now;
      // Off the request's path, written with other tokens' uses.
      this.uses.record(entry.id, now);
    }
    return authenticatedUser(owner, {
      sessionId: '',
      expiresAt: Math.floor(entry.expiresAt / 1000),
      credential: 'personal_access_token',
      credentialId: entry.id,
      scope: entry.scopes,
      permissions: granted.permissions,
    });
  }

  /** The token's record, from the cache or (once) the database; 401 for one that is malformed or unknown. */
  private async lookup(raw: string): Promise<CachedToken> {
    if (!isWellFormedSecret(raw, PAT_PREFIX)) throw new InvalidTokenException(MESSAGES.malformed);
    const hash = secretDigest(raw);
    const trusted = this.config.sessions.revocationMaxLag > 0 && Date.now() <= this.bus.trustedUntil;
    const cached = trusted ? this.byHash.get(hash) : undefined;
    if (cached) return cached;
    if (this.unknown.has(hash)) throw new InvalidTokenException(MESSAGES.unknown);
    const seen = this.bus.generation;
    const record = await this.repository.findPatByHash(hash);
    if (!record) {
      if (this.unknown.size >= UNKNOWN_CACHED) this.unknown.delete(this.unknown.values().next().value as string);
      this.unknown.add(hash);
      throw new InvalidTokenException(MESSAGES.unknown);
    }
    const entry: CachedToken = {
      id: record.id,
      userId: record.userId,
      scopes: record.scopes,
      expiresAt: record.expiresAt.getTime(),
      revoked: record.revokedAt !== null,
      touchedAt: 0,
    };
    // Kept only if no revocation arrived during the read (it may be for what the read saw before it).
    if (this.config.sessions.revocationMaxLag > 0 && this.bus.generation === seen) this.remember(hash, entry);
    return entry;
  }

  private remember(hash: string, entry: CachedToken): void {
    // Read again while revocations are not trusted (every request reads afresh): replaced where it
    // stands, since deleting and re-adding one busy key makes V8 walk its deleted entries.
    if (this.hashById.get(entry.id) === hash) {
      this.byHash.set(hash, entry);
      return;
    }
    this.forget(entry.id);
    if (this.byHash.size >= CACHED) {
      const [oldest, old] = this.byHash.entries().next().value as [string, CachedToken];
      this.byHash.delete(oldest);
      this.hashById.delete(old.id);
    }
    this.byHash.set(hash, entry);
    this.hashById.set(entry.id, hash);
  }

  private forget(id: string): void {
    const hash = this.hashById.get(id);
    if (hash === undefined) return;
    this.hashById.delete(id);
    this.byHash.delete(hash);
  }

  private clear(): void {
    this.byHash.clear();
    this.hashById.clear();
  }
}
