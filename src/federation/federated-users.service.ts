import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, QueryFailedError } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { OidcProviderConfig } from '../config/federation.config';
import { Role } from '../roles/entities/role.entity';
import { SessionsService } from '../sessions/sessions.service';
import { USERNAME_PATTERN } from '../users/dto/user-fields';
import { User, normalizeUsername } from '../users/entities/user.entity';
import { FederationError } from './federation.error';

/** The role every new user gets when the provider does not name roles (as for local users). */
const DEFAULT_ROLE = 'USER';

/** Reads a claim by name or dotted path (`realm_access.roles` for Keycloak). */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
}

interface MappedIdentity {
  username: string;
  systemId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Undefined: the token carries no roles claim, so roles are left as they are. */
  roles?: string[];
  enabled?: boolean;
}

/**
 * Just-in-time users for delegated login. A user is found by (provider, systemId), else by username;
 * created from the claims on the first login; on later logins email, names, roles (when the roles
 * claim is present) and `enabled` (when mapped) follow the provider, while username and systemId
 * are set once and never changed.
 */
@Injectable()
export class FederatedUsersService {
  private readonly logger = new Logger(FederatedUsersService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  map(provider: OidcProviderConfig, claims: Record<string, unknown>): MappedIdentity {
    const mapping = provider.claims;
    const username = text(claimAt(claims, mapping.username), 64);
    const systemIdValue = claimAt(claims, mapping.systemId);
    const systemId = typeof systemIdValue === 'number' ? String(systemIdValue) : text(systemIdValue, 255);
    if (!username) throw new FederationError(`The provider sent no "${mapping.username}" claim to use as the username`);
    if (!USERNAME_PATTERN.test(username)) {
      throw new FederationError(`The provider's username "${username.slice(0, 64)}" is not a valid Gatehouse username`);
    }
    if (!systemId) throw new FederationError(`The provider sent no "${mapping.systemId}" claim to identify the user`);
    const rolesValue = claimAt(claims, mapping.roles);
    const enabledValue = mapping.enabled ? claimAt(claims, mapping.enabled) : undefined;
    return {
      username,
      systemId,
      email: text(claimAt(claims, mapping.email), 254),
      firstName: text(claimAt(claims, mapping.firstName), 100),
      lastName: text(claimAt(claims, mapping.lastName), 100),
      roles: Array.isArray(rolesValue) ? rolesValue.filter((r): r is string => typeof r === 'string') : typeof rolesValue === 'string' ? [rolesValue] : undefined,
      enabled: typeof enabledValue === 'boolean' ? enabledValue : enabledValue === 'true' ? true : enabledValue === 'false' ? false : undefined,
    };
  }

  /** Creates or updates the local user for a provider login; returns it with its roles. */
  async provision(provider: OidcProviderConfig, claims: Record<string, unknown>): Promise<User> {
    const identity = this.map(provider, claims);
    try {
      return await this.provisionOnce(provider, identity);
    } catch (error) {
      // Two first logins of one person at once: the other created the user; this one now updates it.
      if (error instanceof QueryFailedError && /unique|23505/i.test(`${(error.driverError as { code?: string })?.code} ${error.message}`)) {
        return this.provisionOnce(provider, identity);
      }
      throw error;
    }
  }

  private async provisionOnce(provider: OidcProviderConfig, identity: MappedIdentity): Promise<User> {
    const { user, created, rolesChanged } = await this.dataSource.transaction(async (manager) => {
      const existing = await this.find(manager, provider.name, identity);
      const roles = await this.resolveRoles(manager, provider, identity, existing);
      const target = existing ?? manager.getRepository(User).create({
        username: identity.username,
        usernameNormalized: normalizeUsername(identity.username),
        identityProvider: provider.name,
        systemId: identity.systemId,
        passwordHash: null,
        enabled: true,
        roles: [],
      });
      // Linked by username: the provider subject is recorded once, and never changed afterwards.
      if (!target.systemId) {
        target.identityProvider = provider.name;
        target.systemId = identity.systemId;
      }
      target.email = identity.email;
      target.firstName = identity.firstName;
      target.lastName = identity.lastName;
      if (identity.enabled !== undefined) target.enabled = identity.enabled;
      const before = (target.roles ?? []).map((r) => r.name).sort().join(',');
      if (roles) target.roles = roles;
      const after = (target.roles ?? []).map((r) => r.name).sort().join(',');
      const saved = await manager.getRepository(User).save(target);
      return { user: saved, created: !existing, rolesChanged: !!existing && before !== after };
    });
    await this.audit.record({
      type: created ? 'federation.user_created' : 'federation.user_updated',
      userId: user.id,
      username: user.username,
      details: { provider: provider.name, roles: user.roles.map((r) => r.name).sort() },
    });
    // The bearer guard's cached checks of this user's sessions carry roles: read them afresh.
    if (rolesChanged) await this.sessions.userChanged(user.id);
    return user;
  }

  private async find(manager: EntityManager, provider: string, identity: MappedIdentity): Promise<User | null> {
    const users = manager.getRepository(User);
    const bySubject = await users.findOne({ where: { identityProvider: provider, systemId: identity.systemId }, relations: { roles: true } });
    if (bySubject) return bySubject;
    const byName = await users.findOne({ where: { usernameNormalized: normalizeUsername(identity.username) }, relations: { roles: true } });
    // A local name already linked to another subject (of this or another provider) is not taken over.
    if (byName?.systemId) {
      throw new FederationError(`The username "${identity.username}" belongs to another account`);
    }
    return byName;
  }

  /** The local roles the provider names; names with no local role are skipped and logged. */
  private async resolveRoles(manager: EntityManager, provider: OidcProviderConfig, identity: MappedIdentity, existing: User | null): Promise<Role[] | undefined> {
    const repository = manager.getRepository(Role);
    if (identity.roles === undefined) {
      return existing ? undefined : repository.findBy({ name: DEFAULT_ROLE });
    }
    const wanted = [...new Set(identity.roles)];
    const found = wanted.length ? await repository.findBy({ name: In(wanted) }) : [];
    const skipped = wanted.filter((name) => !found.some((role) => role.name === name));
    if (skipped.length) {
      this.logger.warn(`Provider ${provider.name}: roles with no local counterpart skipped for ${identity.username}: ${skipped.join(', ')}`);
      await this.audit.record({ type: 'federation.roles_skipped', username: identity.username, details: { provider: provider.name, skipped } });
    }
    return found;
  }
}
