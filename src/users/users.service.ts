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
import { LoginThrottleService } from '../auth/throttle/login-throttle.service';
import { PasswordPolicyService } from './password-policy.service';
import { PasswordService } from './password.service';

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
   * sessions, so the change applies to every token at once. An administrator cannot lock themselves out.
   */
  async update(id: string, dto: UpdateUserDto, actor: { id: string; sessionId: string }): Promise<User> {
    const user = await this.findById(id);
    if (id === actor.id) this.assertKeepsOwnAccess(dto);
    if (dto.password !== undefined) this.policy.assertAcceptable(dto.password, user.username);
    const rolesBefore = roleNames(user);
    const enabledBefore = user.enabled;
    this.applyProfile(user, dto);
    if (dto.enabled !== undefined) user.enabled = dto.enabled;
    if (dto.roles !== undefined) user.roles = await this.rolesService.findByNames(dto.roles);
    if (dto.password !== undefined) user.passwordHash = await this.passwords.hash(dto.password);
    await this.users.save(user);
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
   * A user's own password change: the current password must be right (401 otherwise), and every
   * other session of the user ends.
   */
  async changeOwnPassword(id: string, currentPassword: string, newPassword: string, currentSessionId: string): Promise<void> {
    const user = await this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();
    if (!user || !(await this.passwords.verify(user.passwordHash, currentPassword))) {
      // A wrong current password counts as a failed login: otherwise a stolen token could guess it freely.
      await this.throttle.recordFailure(user?.username ?? id, currentRequestContext()?.ip);
      await this.audit.record({ type: 'login.failure', userId: id, username: user?.username, details: { reason: 'wrong current password' } });
      throw new InvalidCredentialsException(false, 'The current password is wrong');
    }
    if (newPassword === currentPassword) throw new BadRequestException('newPassword must differ from the current password');
    this.policy.assertAcceptable(newPassword, user.username, 'newPassword');
    await this.users.update({ id }, { passwordHash: await this.passwords.hash(newPassword) });
    await this.sessions.revokeAllForUser(id, currentSessionId);
    await this.audit.record({ type: 'password.changed', userId: id, username: user.username });
  }

  async updateProfile(id: string, dto: UpdateProfileDto): Promise<User> {
    const user = await this.findById(id);
    this.applyProfile(user, dto);
    await this.users.save(user);
    return this.findById(id);
  }

  async remove(id: string, actorId: string): Promise<void> {
    if (id === actorId) throw new ConflictException('You cannot delete your own account');
    const result = await this.users.delete({ id });
    if (!result.affected) throw new NotFoundException('User not found');
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
    if (dto.enabled === false) throw new ConflictException('You cannot disable your own account');
    if (dto.roles !== undefined && !dto.roles.includes(BuiltInRole.Admin)) {
      throw new ConflictException('You cannot remove your own ADMIN role');
    }
  }
}

function roleNames(user: User): string {
  return (user.roles ?? []).map((role) => role.name).sort().join(',');
}
