import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { Permission, missingPermissions } from '../common/permissions';
import { appConfig } from '../config/app.config';
import { ChecksCache } from '../sessions/checks-cache';
import { RevocationBus } from '../sessions/revocation-bus';
import { PasswordService } from '../users/password.service';
import { CLIENT_SECRET_PREFIX, newSecret } from './credential-secrets';
import { CredentialsRepository } from './credentials.repository';
import type { OAuthClient } from './entities/oauth-client.entity';
import { ValidationFailedException } from '../common/validation';

/** The longest grace period a rotation may ask for. */
export const MAX_SECRET_GRACE_SECONDS = 30 * 86_400;

/** What a client may do now, as the bearer guard and the token endpoint see it. */
export type ClientCheck = { ok: true; id: string; name: string; scopes: string[] } | { ok: false; reason: 'unknown' | 'disabled' };

/**
 * Service clients (OAuth 2 client credentials): registered by administrators with the permissions
 * they may use, a secret shown once and stored argon2-hashed, rotated with a grace period for the
 * old one. Changes reach every instance's cache at once (RevocationBus) and are audited. An
 * administrator may give a client only permissions they hold themselves.
 */
@Injectable()
export class ClientsService {
  /** Client checks by id, dropped by events (like session checks). */
  private readonly checks: ChecksCache<ClientCheck>;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: CredentialsRepository,
    private readonly passwords: PasswordService,
    private readonly audit: AuditService,
    private readonly bus: RevocationBus,
  ) {
    this.checks = new ChecksCache<ClientCheck>(bus, 10_000);
    bus.onEvent((event) => {
      if (event.kind === 'credential') this.checks.delete(event.id);
      else if (event.kind === 'all') this.checks.clear();
    });
  }

  async create(actor: AuthenticatedUser, request: { name: string; scopes: string[] }): Promise<{ client: OAuthClient; secret: string }> {
    const scopes = mayGive(actor, request.scopes);
    const secret = newSecret(CLIENT_SECRET_PREFIX);
    const client = await this.repository.insertClient({
      name: request.name,
      scopes,
      secretHash: await this.passwords.hash(secret),
      createdBy: actor.id,
    });
    await this.audit.record({ type: 'client.created', actorId: actor.id, details: { clientId: client.id, name: client.name, scopes } });
    return { client, secret };
  }

  list(): Promise<OAuthClient[]> {
    return this.repository.listClients();
  }

  async get(id: string): Promise<OAuthClient> {
    const client = await this.repository.findClient(id);
    if (!client) throw new NotFoundException('Client not found');
    return client;
  }

  async update(
    actor: AuthenticatedUser,
    id: string,
    change: { name?: string; scopes?: string[]; enabled?: boolean },
  ): Promise<OAuthClient> {
    const client = await this.administered(actor, id);
    const fields: { name?: string; scopes?: string[]; enabled?: boolean } = {};
    if (change.name !== undefined) fields.name = change.name;
    if (change.scopes !== undefined) fields.scopes = mayGive(actor, change.scopes);
    if (change.enabled !== undefined) fields.enabled = change.enabled;
    if (Object.keys(fields).length === 0) return client;
    await this.repository.updateClient(id, fields);
    await this.bus.publish({ kind: 'credential', id });
    await this.audit.record({
      type: 'client.updated',
      actorId: actor.id,
      details: { clientId: id, ...fields, ...(fields.scopes ? { scopesBefore: client.scopes } : {}) },
    });
    return { ...client, ...fields } as OAuthClient;
  }

  /**
   * A new secret, shown once. The old one keeps working for `graceSeconds` (default
   * CLIENT_SECRET_ROTATION_GRACE), so a service can be redeployed with the new one without an outage;
   * 0 ends it at once.
   */
  async rotateSecret(
    actor: AuthenticatedUser,
    id: string,
    graceSeconds?: number,
  ): Promise<{ secret: string; previousSecretExpiresAt: Date | null }> {
    await this.administered(actor, id);
    const grace = graceSeconds ?? this.config.credentials.clientSecretGrace;
    if (grace < 0 || grace > MAX_SECRET_GRACE_SECONDS)
      throw new ValidationFailedException(`graceSeconds must be between 0 and ${MAX_SECRET_GRACE_SECONDS}`);
    const secret = newSecret(CLIENT_SECRET_PREFIX);
    const now = new Date();
    const previousSecretExpiresAt = grace > 0 ? new Date(now.getTime() + grace * 1000) : null;
    if (!(await this.repository.rotateClientSecret(id, await this.passwords.hash(secret), previousSecretExpiresAt, now))) {
      throw new NotFoundException('Client not found');
    }
    await this.audit.record({
      type: 'client.secret_rotated',
      actorId: actor.id,
      details: { clientId: id, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null },
    });
    return { secret, previousSecretExpiresAt };
  }

  /** Deletes a client: its secret stops working and its live tokens are refused (every instance). */
  async remove(actor: AuthenticatedUser, id: string): Promise<void> {
    await this.administered(actor, id);
    if (!(await this.repository.deleteClient(id))) throw new NotFoundException('Client not found');
    await this.bus.publish({ kind: 'credential', id });
    await this.audit.record({ type: 'client.deleted', actorId: actor.id, details: { clientId: id } });
  }

  /**
   * A client the administrator may change, rotate or delete: one holding nothing they do not hold
   * themselves (else its new secret would hand them its permissions); 404 when there is none.
   */
  private async administered(actor: AuthenticatedUser, id: string): Promise<OAuthClient> {
    const client = await this.get(id);
    if (actor.permissions.includes(Permission.RolesWrite)) return client;
    const missing = missingPermissions(client.scopes, actor.permissions);
    if (missing.length > 0) {
      throw new ForbiddenException(`You cannot administer a client holding permissions you do not hold yourself: ${missing.join(', ')}`);
    }
    return client;
  }

  /**
   * The client for a `client_id` and secret, or why not: the current secret, or the previous one
   * within its grace period. One argon2 verification per secret tried (a dummy one for an unknown
   * client: the answer takes as long whether the client exists or not).
   */
  async authenticate(clientId: string, secret: string): Promise<ClientCheck & { usedPrevious?: boolean }> {
    const client = /^[0-9a-f-]{36}$/.test(clientId) ? await this.repository.findClientWithSecrets(clientId) : null;
    if (!client) {
      await this.passwords.verify(undefined, secret);
      return { ok: false, reason: 'unknown' };
    }
    let usedPrevious = false;
    let valid = await this.passwords.verify(client.secretHash, secret);
    if (!valid && client.previousSecretHash && client.previousSecretExpiresAt && client.previousSecretExpiresAt.getTime() > Date.now()) {
      valid = usedPrevious = await this.passwords.verify(client.previousSecretHash, secret);
    }
    if (!valid) return { ok: false, reason: 'unknown' };
    if (!client.enabled) return { ok: false, reason: 'disabled' };
    return { ok: true, id: client.id, name: client.name, scopes: client.scopes, usedPrevious };
  }

  /** Whether a client may act now (for its tokens): cached until an event drops it, trusted only while the revocation bus is. */
  async check(id: string): Promise<ClientCheck> {
    const cached = this.checkCached(id);
    if (cached) return cached;
    const seen = this.bus.generation;
    const client = await this.repository.findClient(id);
    const check: ClientCheck = !client
      ? { ok: false, reason: 'unknown' }
      : !client.enabled
        ? { ok: false, reason: 'disabled' }
        : { ok: true, id: client.id, name: client.name, scopes: client.scopes };
    const lagMs = this.config.sessions.revocationMaxLag * 1000;
    // Kept only if no revocation arrived during the read (it may be for what the read saw before it).
    if (lagMs > 0 && this.bus.generation === seen) this.checks.set(id, check, check.ok ? 3_600_000 : lagMs);
    return check;
  }

  checkCached(id: string): ClientCheck | undefined {
    return this.checks.get(id);
  }
}

/**
 * The scopes, sorted without repeats, when the administrator holds every one of them (or holds
 * roles:write, with which they could give themselves any permission anyway); 403 otherwise.
 */
function mayGive(actor: AuthenticatedUser, scopes: string[]): string[] {
  const wanted = [...new Set(scopes)].sort();
  if (actor.permissions.includes(Permission.RolesWrite)) return wanted;
  const missing = missingPermissions(wanted, actor.permissions);
  if (missing.length > 0)
    throw new ForbiddenException(`You cannot give a client permissions you do not hold yourself: ${missing.join(', ')}`);
  return wanted;
}
