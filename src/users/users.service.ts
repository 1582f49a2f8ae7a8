import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidCredentialsException } from '../common/exceptions/auth.exceptions';
import { currentRequestContext } from '../common/request-context';
import { RolesService } from '../roles/roles.service';
import { SessionsService } from '../sessions/sessions.service';
import { BuiltInRole } from '../roles/role-names';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { User, normalizeUsername } from './entities/user.entity';
import { AuditService } from '../audit/audit.service';
import { LoginThrottleService, TooManyFailedLoginsException } from '../throttle/login-throttle.service';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordService } from './password.service';
import { UsersRepository } from './users.repository';

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly rolesService: RolesService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly policy: PasswordPolicyService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottleService,
    private readonly usersRepository: UsersRepository,
  ) {}

  async list(page: number, limit: number): Promise<Page<User>> {
    const [items, total] = await this.users.findAndCount({
      relations: { roles: true },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return { items, page, limit, total };
  }

  async findById(id: string): Promise<User> {
    const user = await this.users.findOne({ where: { id }, relations: { roles: true } });
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  /** For password login only: the one query that reads the hash. */
  findForLogin(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .leftJoinAndSelect('user.roles', 'role')
      .where('user.usernameNormalized = :username', { username: normalizeUsername(username) })
      .getOne();
  }

  count(): Promise<number> {
    return this.users.count();
  }

  /**
   * Creates a user. `actorId` is the administrator (absent for the first administrator, whose
   * configured password is the operator's choice and skips the policy).
   */
  async create(dto: CreateUserDto, actorId?: string): Promise<User> {
    if (actorId !== undefined) this.policy.assertAcceptable(dto.password, dto.username);
    const usernameNormalized = normalizeUsername(dto.username);
    if (await this.users.existsBy({ usernameNormalized })) {
      throw new ConflictException(`Username ${dto.username} is taken`);
    }
    const roles = await this.rolesService.findByNames(dto.roles ?? [BuiltInRole.User]);
    const user = this.users.create({
      username: dto.username,
      usernameNormalized,
      email: dto.email ?? null,
      firstName: dto.firstName ?? null,
      lastName: dto.lastName ?? null,
      enabled: dto.enabled ?? true,
      passwordHash: await this.passwords.hash(dto.password),
      roles,
    });
    // A concurrent create of the same name still fails on the unique index (→ 409 in the filter).
    const saved = await this.users.save(user);
    await this.audit.record({ type: 'user.created', userId: saved.id, username: saved.username, actorId, details: { roles: roleNames(saved) } });
    return this.findById(saved.id);
  }

  /** Called after a successful login: re-hashes a password hashed with older argon2 parameters. */
  async upgradePasswordHash(user: User, password: string): Promise<void> {
    if (!user.passwordHash || !this.passwords.needsRehash(user.passwordHash)) return;
    await this.users.update({ id: user.id }, { passwordHash: await this.passwords.hash(password) });
  }

  /**
   * An administrator's update. Disabling a user or changing their roles or password ends all their
   * sessions, so the change applies to every token at once. An administrator cannot lock themselves
   * out, nor change their own password here (that needs the current one), and nobody can take away
   * the last enabled ADMIN.
   */
  async update(id: string, dto: UpdateUserDto, actor: { id: string; sessionId: string }): Promise<User> {
    if (id === actor.id) this.assertKeepsOwnAccess(dto);
    const newRoles = dto.roles !== undefined ? await this.rolesService.findByNames(dto.roles) : undefined;
    // Hashed before the administrators' lock is taken: argon2 is slow, the lock should not be.
    const passwordHash = dto.password !== undefined ? await this.passwords.hash(dto.password) : undefined;
    const { user, rolesBefore, enabledBefore } = await this.usersRepository.changeAdminSet(async ({ users, otherEnabledAdmins }) => {
      const user = await users.findOne({ where: { id }, relations: { roles: true } });
      if (!user) throw new NotFoundException('User not found');
      if (dto.password !== undefined) this.policy.assertAcceptable(dto.password, user.username);
      const wasAdmin = isEnabledAdmin(user);
      const before = { user, rolesBefore: roleNames(user), enabledBefore: user.enabled };
      this.applyProfile(user, dto);
      if (dto.enabled !== undefined) user.enabled = dto.enabled;
      if (newRoles !== undefined) user.roles = newRoles;
      if (passwordHash !== undefined) user.passwordHash = passwordHash;
      if (wasAdmin && !isEnabledAdmin(user) && (await otherEnabledAdmins(id)) === 0) throw lastAdminConflict();
      await users.save(user);
      return before;
    });
    const rolesChanged = roleNames(user) !== rolesBefore;
    if (dto.enabled === false || dto.password !== undefined || rolesChanged) {
      // The acting admin keeps their own current session when changing their own account.
      await this.sessions.revokeAllForUser(id, id === actor.id ? actor.sessionId : undefined);
    }
    const subject = { userId: id, username: user.username, actorId: actor.id };
    if (rolesChanged) await this.audit.record({ ...subject, type: 'user.roles_changed', details: { from: rolesBefore, to: roleNames(user) } });
    if (enabledBefore !== user.enabled) await this.audit.record({ ...subject, type: user.enabled ? 'user.enabled' : 'user.disabled' });
    if (dto.password !== undefined) await this.audit.record({ ...subject, type: 'password.reset' });
    return this.findById(id);
  }

  /**
   * A user's own password change. The current password is checked like a login — under the same
   * throttle (lock and 429), before anything is verified — since a stolen access token must not
   * become a way to guess it; a wrong one is 401. Every other session of the user ends. Every
   * attempt is audited.
   */
  async changeOwnPassword(id: string, currentPassword: string, newPassword: string, currentSessionId: string): Promise<void> {
    const user = await this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();
    if (!user) throw new NotFoundException('User not found');
    const subject = { userId: id, username: user.username };
    // Compared before anything is verified: the answer says nothing about whether currentPassword is right.
    if (newPassword === currentPassword) {
      await this.audit.record({ ...subject, type: 'password.change_failed', details: { reason: 'new password equals current' } });
      throw new BadRequestException('newPassword must differ from currentPassword');
    }
    this.policy.assertAcceptable(newPassword, user.username, 'newPassword');
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
      if (result.kind === 'checked' && result.lockedNow > 0) await this.audit.record({ ...subject, type: 'login.locked', details: { seconds: result.lockedNow } });
      // Locked or wrong: one answer, as for login.
      throw new InvalidCredentialsException(false, 'The current password is wrong');
    }
    await this.users.update({ id }, { passwordHash: await this.passwords.hash(newPassword) });
    await this.sessions.revokeAllForUser(id, currentSessionId);
    await this.audit.record({ ...subject, type: 'password.changed' });
  }

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<User> {
    const user = await this.findById(id);
    this.applyProfile(user, dto);
    await this.users.save(user);
    return this.findById(id);
  }

  async remove(id: string, actorId: string): Promise<void> {
    if (id === actorId) throw new ConflictException('You cannot delete your own account');
    await this.usersRepository.changeAdminSet(async ({ users, otherEnabledAdmins }) => {
      const user = await users.findOne({ where: { id }, relations: { roles: true } });
      if (!user) throw new NotFoundException('User not found');
      if (isEnabledAdmin(user) && (await otherEnabledAdmins(id)) === 0) throw lastAdminConflict();
      await users.delete({ id });
    });
    await this.audit.record({ type: 'user.deleted', userId: id, actorId });
    // The database deleted their sessions with them; drop what any instance has cached.
    await this.sessions.userChanged(id);
  }

  private applyProfile(user: User, dto: UpdateProfileDto): void {
    if (dto.email !== undefined) user.email = dto.email;
    if (dto.firstName !== undefined) user.firstName = dto.firstName;
    if (dto.lastName !== undefined) user.lastName = dto.lastName;
  }

  private assertKeepsOwnAccess(dto: UpdateUserDto): void {
    if (dto.password !== undefined) {
      throw new BadRequestException('Change your own password with PUT /api/v1/users/me/password, which asks for the current one');
    }
    if (dto.enabled === false) throw new ConflictException('You cannot disable your own account');
    if (dto.roles !== undefined && !dto.roles.includes(BuiltInRole.Admin)) {
      throw new ConflictException('You cannot remove your own ADMIN role');
    }
  }
}

function isEnabledAdmin(user: User): boolean {
  return user.enabled && (user.roles ?? []).some((role) => role.name === BuiltInRole.Admin);
}

function lastAdminConflict(): ConflictException {
  return new ConflictException('This is the last enabled ADMIN: make another user an enabled ADMIN first');
}

function roleNames(user: User): string {
  return (user.roles ?? []).map((role) => role.name).sort().join(',');
}
