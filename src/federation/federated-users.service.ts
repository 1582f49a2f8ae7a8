import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { OidcProviderConfig } from '../config/federation.config';
import { USERNAME_PATTERN } from '../common/credentials';
import type { User } from '../users/entities/user.entity';
import { ExternalIdentityConflict, UsersService } from '../users/users.service';
import { FederationError } from './federation.error';

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
 * Just-in-time users for delegated login: maps a provider's claims to the user's fields and has the
 * users module create or update the local user (UsersService.provisionExternal), auditing what
 * happened. Username and systemId are set once and never changed; email, names, roles (when the
 * roles claim is present) and `enabled` (when mapped) follow the provider.
 */
@Injectable()
export class FederatedUsersService {
  private readonly logger = new Logger(FederatedUsersService.name);

  constructor(
    private readonly users: UsersService,
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
      roles: Array.isArray(rolesValue)
        ? rolesValue.filter((r): r is string => typeof r === 'string')
        : typeof rolesValue === 'string'
          ? [rolesValue]
          : undefined,
      enabled:
        typeof enabledValue === 'boolean' ? enabledValue : enabledValue === 'true' ? true : enabledValue === 'false' ? false : undefined,
    };
  }

  /** Creates or updates the local user for a provider login; returns it with its roles. */
  async provision(provider: OidcProviderConfig, claims: Record<string, unknown>): Promise<User> {
    const identity = this.map(provider, claims);
    let result: Awaited<ReturnType<UsersService['provisionExternal']>>;
    try {
      result = await this.users.provisionExternal({ ...identity, provider: provider.name });
    } catch (error) {
      if (error instanceof ExternalIdentityConflict) throw new FederationError(error.message);
      throw error;
    }
    const { user, created, skippedRoles } = result;
    if (skippedRoles.length) {
      this.logger.warn(
        `Provider ${provider.name}: roles with no local counterpart skipped for ${identity.username}: ${skippedRoles.join(', ')}`,
      );
      await this.audit.record({
        type: 'federation.roles_skipped',
        username: identity.username,
        details: { provider: provider.name, skipped: skippedRoles },
      });
    }
    await this.audit.record({
      type: created ? 'federation.user_created' : 'federation.user_updated',
      userId: user.id,
      username: user.username,
      details: { provider: provider.name, roles: user.roles.map((r) => r.name).sort() },
    });
    return user;
  }
}
