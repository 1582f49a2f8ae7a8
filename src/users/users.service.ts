import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AuditService } from '../audit/audit.service';
import { normalizeUsername } from '../common/credentials';
import { isUniqueViolation } from '../common/database-errors';
import { InsufficientUserAuthenticationException, InvalidCredentialsException } from '../common/exceptions/auth.exceptions';
import { BUILT_IN_PERMISSIONS, Permission } from '../common/permissions';
import { currentRequestContext } from '../common/request-context';
import type { Role } from '../roles/entities/role.entity';
import { BuiltInRole, permissionsOfRoles } from '../roles/role-names';
import { RolesService } from '../roles/roles.service';
import { LoginThrottleService, TooManyFailedLoginsException } from '../throttle/login-throttle.service';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { User } from './entities/user.entity';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordService } from './password.service';
import { UserEvent, UserEvents } from './user-events';
import { UserColumns, UsersRepository, credentialFingerprint } from './users.repository';
import { ValidationFailedException } from '../common/validation';

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

/** A user as an external identity provider describes them (mapped from its claims by federation). */
export interface ExternalIdentity {
  provider: string;
  systemId: string;
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Role names; undefined: the provider said nothing about roles, so they are left as they are. */
  roles?: string[];
  enabled?: boolean;
}

/** The role every new user gets when nobody names roles. */
const DEFAULT_ROLE = BuiltInRole.User;

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly rolesService: RolesService,
    private readonly passwords: PasswordService,
    private readonly policy: PasswordPolicyService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottleService,
    private readonly events: EventEmitter2,
  ) {}

  async list(page: number, limit: number, search?: string): Promise<Page<User>> {
    const [items, total] = await this.users.list(page, limit, search);
    return { items, page, limit, total };
  }

  /** The user with their roles, or null. */
  find(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  /** The user with their roles, or a 404. */
  async findById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /** For password login only: the user with the hash. */
  findForLogin(username: string): Promise<User | null> {
    return this.users.findForLogin(username);
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findByUsername(username);
  }

  exists(id: string): Promise<boolean> {
    return this.users.existsById(id);
  }

  count(): Promise<number> {
    return this.users.count();
  }

  /**
   * Creates a user. `actorId` is the administrator (absent for the first administrator, whose
   * configured password is the operator's choice and skips the policy).
   */
  async create(dto: CreateUserDto, actor?: Administrator): Promise<User> {
    const actorId = actor?.id;
    if (actorId !== undefined) this.policy.assertAcceptable(dto.password, dto.username);
    if (await this.users.existsByUsername(dto.username)) {
      throw new ConflictException(`Username ${dto.username} is taken`);
    }
    const roles = await this.rolesService.findByNames(dto.roles ?? [DEFAULT_ROLE]);
    if (actor) assertMayGrant(actor, roles);
    const user = this.users.create({
      username: dto.username,
      usernameNormalized: normalizeUsername(dto.username),
      email: dto.email ?? null,
      emailVerified: false,
      locale: dto.locale ?? null,
      firstName: dto.firstName ?? null,
      lastName: dto.lastName ?? null,
      enabled: dto.enabled ?? true,
      passwordHash: await this.passwords.hash(dto.password),
      roles,
    });
    // A concurrent create of the same name still fails on the unique index (→ 409 in the filter).
    const saved = await this.users.save(user);
    await this.audit.record({
      type: 'user.created',
      userId: saved.id,
      username: saved.username,
      actorId,
      details: { roles: roleNames(saved) },
    });
    if (saved.email) await this.events.emitAsync(UserEvents.EmailAdded, { userId: saved.id } satisfies UserEvent);
    return this.findById(saved.id);
  }

  /**
   * Called after a successful login: re-hashes a password hashed with older argon2 parameters —
   * unless the password changed meanwhile (the write is conditional on the old hash).
   */
  async upgradePasswordHash(user: User, password: string): Promise<void> {
    if (!user.passwordHash || !this.passwords.needsRehash(user.passwordHash)) return;
    await this.users.updatePasswordHash(user.id, await this.passwords.hash(password), user.passwordHash);
  }

  /**
   * An administrator's update. Disabling a user or changing their roles or password ends all their
   * sessions, so the change applies to every token at once. An administrator cannot lock themselves
   * out, nor change their own password here (that needs the current one), and nobody can take away
   * the last enabled ADMIN.
   */
  async update(id: string, dto: UpdateUserDto, actor: Administrator & { sessionId?: string }): Promise<User> {
    if (id === actor.id) this.assertKeepsOwnAccess(dto, actor);
    const newRoles = dto.roles !== undefined ? await this.rolesService.findByNames(dto.roles) : undefined;
    if (newRoles) assertMayGrant(actor, newRoles);
    // Hashed before the administrators' lock is taken: argon2 is slow, the lock should not be.
    const passwordHash = dto.password !== undefined ? await this.passwords.hash(dto.password) : undefined;
    const { user, rolesBefore, enabledBefore, verifiedBefore, emailBefore } = await this.users.changeAdminSet(async (change) => {
      const user = await change.findById(id);
      if (!user) throw new NotFoundException('User not found');
      assertMayAdminister(actor, user);
      if (dto.password !== undefined) this.policy.assertAcceptable(dto.password, user.username);
      const wasAdmin = isEnabledAdmin(user.enabled, user.roles);
      const before = {
        user,
        rolesBefore: roleNames(user),
        enabledBefore: user.enabled,
        verifiedBefore: user.emailVerified,
        emailBefore: user.email,
      };
      // Only what the request sets is written: a concurrent change to other columns stands.
      const columns: UserColumns = { ...profileColumns(dto, user), enabled: dto.enabled, passwordHash };
      if (dto.emailVerified !== undefined) columns.emailVerified = dto.emailVerified;
      for (const key of Object.keys(columns) as (keyof UserColumns)[]) if (columns[key] === undefined) delete columns[key];
      const staysAdmin = isEnabledAdmin(dto.enabled ?? user.enabled, newRoles ?? user.roles);
      if (wasAdmin && !staysAdmin && (await change.otherEnabledAdmins(id)) === 0) throw lastAdminConflict();
      await change.update(user, columns, newRoles);
      Object.assign(user, columns, newRoles ? { roles: newRoles } : {});
      return before;
    });
    const rolesChanged = roleNames(user) !== rolesBefore;
    // The acting admin keeps their own current session when changing their own account.
    const event: UserEvent = { userId: id, keepSessionId: id === actor.id ? actor.sessionId : undefined, endSessions: true };
    if (dto.enabled === false) await this.events.emitAsync(UserEvents.Disabled, event);
    if (user.enabled && !enabledBefore) await this.events.emitAsync(UserEvents.Enabled, event);
    if (dto.password !== undefined) await this.events.emitAsync(UserEvents.CredentialsChanged, event);
    if (rolesChanged) await this.events.emitAsync(UserEvents.RolesChanged, event);
    const subject = { userId: id, username: user.username, actorId: actor.id };
    if (rolesChanged)
      await this.audit.record({ ...subject, type: 'user.roles_changed', details: { from: rolesBefore, to: roleNames(user) } });
    if (enabledBefore !== user.enabled) await this.audit.record({ ...subject, type: user.enabled ? 'user.enabled' : 'user.disabled' });
    if (dto.password !== undefined) await this.audit.record({ ...subject, type: 'password.reset' });
    if (user.emailVerified && !verifiedBefore)
      await this.audit.record({ ...subject, type: 'email.verified', details: { by: 'administrator' } });
    if (user.email && user.email !== emailBefore && !user.emailVerified) {
      const previousEmail = verifiedBefore && emailBefore ? emailBefore : undefined;
      await this.events.emitAsync(UserEvents.EmailAdded, { userId: id, previousEmail } satisfies UserEvent);
    }
    return this.findById(id);
  }

  /**
   * A user's own password change. The current password is checked like a login — under the same
   * throttle (lock and 429), before anything is verified — since a stolen access token must not
   * become a way to guess it; a wrong one is 401. Every other session of the user ends. Every
   * attempt is audited.
   */
  async changeOwnPassword(id: string, currentPassword: string, newPassword: string, currentSessionId: string): Promise<void> {
    const user = await this.users.findWithHash(id);
    if (!user) throw new NotFoundException('User not found');
    const subject = { userId: id, username: user.username };
    // Compared before anything is verified: the answer says nothing about whether currentPassword is right.
    if (newPassword === currentPassword) {
      await this.audit.record({ ...subject, type: 'password.change_failed', details: { reason: 'new password equals current' } });
      throw new ValidationFailedException('newPassword must differ from currentPassword');
    }
    const problems = this.policy.problems(newPassword, user.username, 'newPassword');
    if (problems.length > 0) {
      await this.audit.record({ ...subject, type: 'password.change_failed', details: { reason: 'password policy' } });
      throw new ValidationFailedException(problems.join('; '));
    }
    const result = await this.throttle.guard(user.username, currentRequestContext()?.ip, (allowed) =>
      this.passwords.verify(allowed ? user.passwordHash : undefined, currentPassword),
    );
    if (result.kind === 'ip-blocked') {
      await this.audit.record({ ...subject, type: 'login.ip_blocked', details: { during: 'password change' } });
      throw new TooManyFailedLoginsException(result.retryAfter);
    }
    if (result.kind === 'locked' || !result.ok) {
      const reason = result.kind === 'locked' ? 'locked' : 'wrong current password';
      await this.audit.record({ ...subject, type: 'login.failure', details: { reason, during: 'password change' } });
      if (result.kind === 'checked' && result.lockedNow > 0)
        await this.audit.record({ ...subject, type: 'login.locked', details: { seconds: result.lockedNow } });
      // Locked or wrong: one answer, as for login.
      throw new InvalidCredentialsException(false, 'The current password is wrong');
    }
    const newHash = await this.passwords.hash(newPassword);
    if (!(await this.users.updatePasswordHash(id, newHash))) throw new NotFoundException('User not found');
    // The current session stays, bound to the new password; every other one ends.
    await this.events.emitAsync(UserEvents.CredentialsChanged, {
      userId: id,
      keepSessionId: currentSessionId,
      credential: credentialFingerprint(newHash),
    } satisfies UserEvent);
    await this.audit.record({ ...subject, type: 'password.changed' });
  }

  /** A user's own names and e-mail: exactly those columns are written (a concurrent admin change stands). */
  async updateProfile(id: string, dto: UpdateProfileDto, authTime?: number): Promise<User> {
    const current = await this.findById(id);
    const columns = profileColumns(dto, current);
    // Reset links go to this address: changing it is as sensitive as changing the password.
    if (columns.email !== undefined && (authTime === undefined || Date.now() / 1000 - authTime > EMAIL_CHANGE_MAX_AGE)) {
      throw new InsufficientUserAuthenticationException(
        `Changing your e-mail address needs an authentication within the last ${EMAIL_CHANGE_MAX_AGE} seconds; log in again`,
        { maxAge: EMAIL_CHANGE_MAX_AGE },
      );
    }
    if (!(await this.users.update(id, columns))) throw new NotFoundException('User not found');
    // A new address is unverified until its owner opens the link sent to it.
    if (columns.email) {
      const previousEmail = current.emailVerified && current.email ? current.email : undefined;
      await this.events.emitAsync(UserEvents.EmailAdded, { userId: id, previousEmail } satisfies UserEvent);
    }
    return this.findById(id);
  }

  /**
   * Whom a password-reset request names: the user of that username, or the users whose verified
   * address it is — with their hashes (a reset link is bound to the password it replaces). Only users
   * with a verified address (the link goes there) and a password (a federated-only user has none).
   */
  async findForPasswordReset(request: { username: string } | { email: string }): Promise<User[]> {
    let candidates: User[];
    if ('username' in request) {
      const byName = await this.users.findWithHashByUsername(request.username.trim());
      candidates = byName ? [byName] : [];
    } else {
      candidates = await this.users.findByVerifiedEmail(request.email.trim());
    }
    return candidates.filter((user) => user.email && user.emailVerified && user.passwordHash);
  }

  /** 400 naming every rule a new password breaks (checked before anything else is spent). */
  assertAcceptablePassword(password: string, username: string): void {
    const problems = this.policy.problems(password, username, 'newPassword');
    if (problems.length > 0) throw new ValidationFailedException(problems.join('; '));
  }

  /**
   * An operator's unlock (`gatehouse user:unlock`): forgets the user's failed logins and lock, here
   * and — through the event, which the revocation bus carries — on every instance that counts them
   * in memory (with Redis the counters are shared and cleared here). 404 for an unknown user.
   */
  async unlock(username: string): Promise<User> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new NotFoundException('User not found');
    await this.throttle.clearLock(user.username);
    await this.audit.record({ type: 'login.unlocked', userId: user.id, username: user.username });
    await this.events.emitAsync(UserEvents.Unlocked, { userId: user.id } satisfies UserEvent);
    return user;
  }

  /** Another process unlocked this user: forget the failed logins counted here. */
  async forgetLoginFailures(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (user) await this.throttle.clearLock(user.username);
  }

  /** With the hash: a reset link is checked against the password it was issued for. */
  findWithHash(id: string): Promise<User | null> {
    return this.users.findWithHash(id);
  }

  /**
   * Sets a new password for a user who proved themself through a reset link: the policy applies; the
   * write is conditional on the hash the link was issued for (a change meanwhile wins); every session
   * ends. False when the password changed meanwhile.
   */
  async resetPassword(user: User, newPassword: string): Promise<boolean> {
    const problems = this.policy.problems(newPassword, user.username, 'newPassword');
    if (problems.length > 0) throw new ValidationFailedException(problems.join('; '));
    const newHash = await this.passwords.hash(newPassword);
    if (!user.passwordHash || !(await this.users.updatePasswordHash(user.id, newHash, user.passwordHash))) return false;
    await this.events.emitAsync(UserEvents.CredentialsChanged, { userId: user.id } satisfies UserEvent);
    await this.audit.record({ type: 'password.reset', userId: user.id, username: user.username, details: { via: 'reset link' } });
    return true;
  }

  /** The owner opened the verification link sent to `email`: verified, unless the address changed since. */
  async markEmailVerified(userId: string, email: string): Promise<boolean> {
    if (!(await this.users.markEmailVerified(userId, email))) return false;
    await this.audit.record({ type: 'email.verified', userId, details: { by: 'link' } });
    return true;
  }

  /**
   * The user an administrator acts on (their factors, sessions, tokens), when the administrator
   * holds every permission the user does (or roles:write); 403 otherwise, 404 when there is none.
   */
  async administered(id: string, actor: Administrator): Promise<User> {
    const user = await this.findById(id);
    assertMayAdminister(actor, user);
    return user;
  }

  async remove(id: string, actor: Administrator): Promise<void> {
    const actorId = actor.id;
    if (id === actorId) throw new ConflictException('You cannot delete your own account');
    await this.users.changeAdminSet(async (change) => {
      const user = await change.findById(id);
      if (!user) throw new NotFoundException('User not found');
      assertMayAdminister(actor, user);
      if (isEnabledAdmin(user.enabled, user.roles) && (await change.otherEnabledAdmins(id)) === 0) throw lastAdminConflict();
      await change.delete(id);
    });
    await this.audit.record({ type: 'user.deleted', userId: id, actorId });
    await this.events.emitAsync(UserEvents.Deleted, { userId: id } satisfies UserEvent);
  }

  /**
   * The local user for a login at an external provider, created or updated from what the provider
   * says. Found by (provider, systemId), else by username — a local name already linked to another
   * subject is not taken over. Username and systemId are set once and never changed; email, names,
   * `enabled` (when the provider says) and roles (when it names them) follow the provider. Role names
   * with no local role are skipped and returned.
   */
  async provisionExternal(identity: ExternalIdentity): Promise<{ user: User; created: boolean; skippedRoles: string[] }> {
    try {
      return await this.provisionOnce(identity);
    } catch (error) {
      // Two first logins of one person at once: the other created the user; this one now updates it.
      if (isUniqueViolation(error)) return this.provisionOnce(identity);
      throw error;
    }
  }

  private async provisionOnce(identity: ExternalIdentity): Promise<{ user: User; created: boolean; skippedRoles: string[] }> {
    const existing = await this.findExternal(identity);
    let roles: Role[] | undefined;
    let skippedRoles: string[] = [];
    if (identity.roles !== undefined) {
      ({ found: roles, missing: skippedRoles } = await this.rolesService.findKnown(identity.roles));
    } else if (!existing) {
      roles = await this.rolesService.findByNames([DEFAULT_ROLE]);
    }
    const target =
      existing ??
      this.users.create({
        username: identity.username,
        usernameNormalized: normalizeUsername(identity.username),
        identityProvider: identity.provider,
        systemId: identity.systemId,
        passwordHash: null,
        enabled: true,
        roles: [],
      });
    // Linked by username: the provider subject is recorded once, and never changed afterwards.
    if (!target.systemId) {
      target.identityProvider = identity.provider;
      target.systemId = identity.systemId;
    }
    target.email = identity.email;
    target.firstName = identity.firstName;
    target.lastName = identity.lastName;
    if (identity.enabled !== undefined) target.enabled = identity.enabled;
    const before = roleNames(target);
    if (roles) target.roles = roles;
    const user = await this.users.save(target);
    // The bearer guard's cached checks of this user's sessions carry roles: read them afresh.
    if (existing && before !== roleNames(user)) {
      await this.events.emitAsync(UserEvents.RolesChanged, { userId: user.id, endSessions: false } satisfies UserEvent);
    }
    return { user, created: !existing, skippedRoles };
  }

  private async findExternal(identity: ExternalIdentity): Promise<User | null> {
    const bySubject = await this.users.findByProviderSubject(identity.provider, identity.systemId);
    if (bySubject) return bySubject;
    const byName = await this.users.findByUsername(identity.username);
    // Linked to this very subject meanwhile: a concurrent first login of the same person created it
    // between the two reads above.
    if (byName && byName.identityProvider === identity.provider && byName.systemId === identity.systemId) return byName;
    // A local name already linked to another subject (of this or another provider) is not taken over.
    if (byName?.systemId) throw new ExternalIdentityConflict(identity.username);
    return byName;
  }

  private assertKeepsOwnAccess(dto: UpdateUserDto, actor: Administrator): void {
    if (dto.password !== undefined) {
      throw new BadRequestException('Change your own password with PUT /api/v1/users/me/password, which asks for the current one');
    }
    if (dto.enabled === false) throw new ConflictException('You cannot disable your own account');
    // An administrator cannot demote themselves (someone else must); anyone else's own roles follow the no-escalation rule.
    if (dto.roles !== undefined && actor.roles?.includes(BuiltInRole.Admin) !== false && !dto.roles.includes(BuiltInRole.Admin)) {
      throw new ConflictException('You cannot remove your own ADMIN role');
    }
  }
}

/** A provider login for a username that belongs to another linked account. */
export class ExternalIdentityConflict extends Error {
  constructor(username: string) {
    super(`The username "${username}" belongs to another account`);
  }
}

/** Seconds since the login within which a user may change their own e-mail address. */
const EMAIL_CHANGE_MAX_AGE = 300;

/**
 * The profile fields a request sets (absent ones are left out, not cleared). A different e-mail
 * address is unverified (the same address, sent again, stays as it was).
 */
function profileColumns(dto: UpdateProfileDto, current: Pick<User, 'email'>): UserColumns {
  const columns: UserColumns = {};
  if (dto.email !== undefined && dto.email !== current.email) {
    columns.email = dto.email;
    columns.emailVerified = false;
  }
  if (dto.firstName !== undefined) columns.firstName = dto.firstName;
  if (dto.lastName !== undefined) columns.lastName = dto.lastName;
  if (dto.locale !== undefined) columns.locale = dto.locale;
  return columns;
}

function isEnabledAdmin(enabled: boolean, roles: Role[] | undefined): boolean {
  return enabled && (roles ?? []).some((role) => role.name === BuiltInRole.Admin);
}

function lastAdminConflict(): ConflictException {
  return new ConflictException('This is the last enabled ADMIN: make another user an enabled ADMIN first');
}

function roleNames(user: User): string {
  return (user.roles ?? [])
    .map((role) => role.name)
    .sort()
    .join(',');
}

/**
 * Who administers users: their id and the permissions their token may use. The operators' command
 * line is `OPERATOR`: no user (id null), every built-in permission; every other rule (the password
 * policy, the last enabled ADMIN) applies to it as to anyone.
 */
export interface Administrator {
  id: string | null;
  permissions: string[];
  /** Their role names (absent: treated as an ADMIN's, the strictest reading). */
  roles?: string[];
}

/**
 * No escalation: an administrator may give only roles whose permissions they hold themselves (a
 * holder of users:write alone cannot make anyone — themselves included — an ADMIN). A holder of
 * roles:write may give any role: they can put any permission on a role anyway.
 */
function assertMayGrant(actor: Administrator, roles: Role[]): void {
  if (actor.permissions.includes(Permission.RolesWrite)) return;
  const missing = permissionsOfRoles(roles).filter((permission) => !actor.permissions.includes(permission));
  if (missing.length > 0) {
    throw new ForbiddenException(`You cannot give roles granting permissions you do not hold yourself: ${missing.join(', ')}`);
  }
}

/** Nor change or delete a user who holds permissions they do not (their password, their roles, their account). */
function assertMayAdminister(actor: Administrator, user: User): void {
  if (actor.permissions.includes(Permission.RolesWrite)) return;
  const missing = permissionsOfRoles(user.roles ?? []).filter((permission) => !actor.permissions.includes(permission));
  if (missing.length > 0) {
    throw new ForbiddenException(`You cannot administer a user holding permissions you do not hold yourself: ${missing.join(', ')}`);
  }
}

/** The operators' command line as an administrator (see Administrator). */
export const OPERATOR: Administrator = { id: null, permissions: [...BUILT_IN_PERMISSIONS] };
