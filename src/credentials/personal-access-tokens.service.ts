import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { withinScope } from '../common/permissions';
import { appConfig } from '../config/app.config';
import { RevocationBus } from '../sessions/revocation-bus';
import { newSecret, PAT_PREFIX, secretDigest } from './credential-secrets';
import { CredentialsRepository } from './credentials.repository';
import { PatUseRecorder } from './pat-use-recorder';
import type { PersonalAccessToken } from './entities/personal-access-token.entity';
import { ValidationFailedException } from '../common/validation';

/** A user may hold this many unrevoked tokens at once. */
export const MAX_TOKENS_PER_USER = 100;
/** When the request names no lifetime. */
export const DEFAULT_PAT_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Personal access tokens: made by a signed-in user for scripts and integrations, acting as that user
 * within the token's scopes (never beyond what the user holds at use time). Shown once, stored as
 * SHA-256, revoked by the user or an administrator; every change is audited and reaches every
 * instance's cache (RevocationBus) at once.
 */
@Injectable()
export class PersonalAccessTokensService {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: CredentialsRepository,
    private readonly audit: AuditService,
    private readonly bus: RevocationBus,
    private readonly uses: PatUseRecorder,
  ) {}

  /**
   * A new token for the signed-in user. Only a login session makes tokens (a token cannot mint
   * another that outlives it), and only within the permissions that session's token may use.
   */
  async create(
    principal: AuthenticatedUser,
    request: { name: string; scopes: string[]; expiresInDays?: number },
  ): Promise<{ token: string; record: PersonalAccessToken }> {
    if (principal.credential !== 'session') {
      throw new ForbiddenException('Personal access tokens are made from a login session, not with another token or a client');
    }
    const maxDays = this.config.credentials.patMaxDays;
    const days = request.expiresInDays ?? Math.min(DEFAULT_PAT_DAYS, maxDays);
    if (days > maxDays) throw new ValidationFailedException(`expiresInDays may be at most ${maxDays} (PAT_MAX_DAYS)`);
    const scopes = withinScope([...new Set(request.scopes)].sort(), principal.permissions, 'your token may use');
    if ((await this.repository.countUnrevokedPats(principal.id)) >= MAX_TOKENS_PER_USER) {
      throw new ConflictException(`You hold ${MAX_TOKENS_PER_USER} personal access tokens already; revoke one first`);
    }
    const token = newSecret(PAT_PREFIX);
    const record = await this.repository.insertPat({
      userId: principal.id,
      name: request.name,
      tokenHash: secretDigest(token),
      scopes,
      expiresAt: new Date(Date.now() + days * DAY_MS),
    });
    await this.audit.record({
      type: 'pat.created',
      userId: principal.id,
      username: principal.username,
      actorId: principal.id,
      details: { tokenId: record.id, name: record.name, scopes, expiresAt: record.expiresAt.toISOString() },
    });
    return { token, record };
  }

  /** A user's unrevoked tokens, their last uses as this instance has seen them (those waiting are written first). */
  async list(userId: string): Promise<PersonalAccessToken[]> {
    await this.uses.flush();
    return this.repository.listPats(userId);
  }

  /** Revokes one of a user's tokens (by the user or an administrator: `actorId`); 404 when they have no such token. */
  async revoke(userId: string, tokenId: string, actorId: string | null, via?: string): Promise<void> {
    const revoked = await this.repository.revokePat(tokenId, userId, new Date());
    if (!revoked) throw new NotFoundException('Token not found');
    await this.bus.publish({ kind: 'credential', id: tokenId });
    await this.audit.record({ type: 'pat.revoked', userId, actorId, details: { tokenId, name: revoked.name, ...(via ? { via } : {}) } });
  }
}
