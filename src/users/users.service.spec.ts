import { BUILT_IN_PERMISSIONS } from '../common/permissions';
import { BadRequestException, ConflictException, HttpException } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/audit.service';
import type { Role } from '../roles/entities/role.entity';
import type { RolesService } from '../roles/roles.service';
import type { GuardedCheck, LoginThrottleService } from '../throttle/login-throttle.service';
import type { User } from './entities/user.entity';
import type { PasswordPolicyService } from './password-policy.service';
import type { PasswordService } from './password.service';
import { UserEvent, UserEvents } from './user-events';
import type { AdminSetChange, UserColumns, UsersRepository } from './users.repository';
import { UsersService } from './users.service';

const ADMIN: Role = { id: 'r-admin', name: 'ADMIN' } as Role;
const USER: Role = { id: 'r-user', name: 'USER' } as Role;

describe(UsersService.name, () => {
  let users: Map<string, User>;
  let emitted: [string, UserEvent][];
  let audited: { type: string; details?: Record<string, unknown> }[];
  let verified: number;
  let throttleAnswer: GuardedCheck | undefined;

  function build(): UsersService {
    users = new Map();
    emitted = [];
    audited = [];
    verified = 0;
    throttleAnswer = undefined;
    const change: AdminSetChange = {
      findById: async (id) => users.get(id) ?? null,
      update: async (user: User, columns: UserColumns, roles?: Role[]) => {
        Object.assign(users.get(user.id)!, columns, roles ? { roles } : {});
      },
      delete: async (id) => void users.delete(id),
      otherEnabledAdmins: async (id) =>
        [...users.values()].filter((u) => u.id !== id && u.enabled && u.roles.some((r) => r.name === 'ADMIN')).length,
    };
    const repository = {
      findById: async (id: string) => users.get(id) ?? null,
      findWithHash: async (id: string) => users.get(id) ?? null,
      changeAdminSet: <T>(work: (c: AdminSetChange) => Promise<T>) => work(change),
      update: async (id: string, columns: UserColumns) => (users.has(id) ? (Object.assign(users.get(id)!, columns), true) : false),
      updatePasswordHash: async (id: string, hash: string) => (users.has(id) ? ((users.get(id)!.passwordHash = hash), true) : false),
    } as unknown as UsersRepository;
    const roles = {
      findByNames: async (names: string[]) => [ADMIN, USER].filter((r) => names.includes(r.name)),
    } as unknown as RolesService;
    const passwords = {
      hash: async (password: string) => `hash:${password}`,
      verify: async (hash: string | undefined, password: string) => {
        verified++;
        return hash === `hash:${password}`;
      },
    } as unknown as PasswordService;
    const policy = {
      problems: (password: string) => (password.length < 12 ? ['newPassword must be at least 12 characters'] : []),
      assertAcceptable: () => undefined,
    } as unknown as PasswordPolicyService;
    const audit = {
      record: async (record: { type: string; details?: Record<string, unknown> }) => void audited.push(record),
    } as unknown as AuditService;
    const throttle = {
      guard: async (_username: string, _ip: string | undefined, check: (allowed: boolean) => Promise<boolean>): Promise<GuardedCheck> => {
        if (throttleAnswer) {
          if (throttleAnswer.kind === 'locked') await check(false);
          return throttleAnswer;
        }
        return { kind: 'checked', ok: await check(true), lockedNow: 0 };
      },
    } as unknown as LoginThrottleService;
    const events = { emitAsync: async (name: string, event: UserEvent) => (emitted.push([name, event]), []) } as unknown as EventEmitter2;
    return new UsersService(repository, roles, passwords, policy, audit, throttle, events);
  }

  function add(fields: Partial<User> = {}): User {
    const user = {
      id: randomUUID(),
      username: 'ada',
      enabled: true,
      roles: [USER],
      passwordHash: 'hash:old-password-123',
      ...fields,
    } as User;
    users.set(user.id, user);
    return user;
  }

  const actor = { id: 'someone-else', sessionId: 'their-session', permissions: [...BUILT_IN_PERMISSIONS] };

  it('announces a disable, a password reset and a role change, ending the user’s sessions', async () => {
    const service = build();
    const user = add();
    await service.update(user.id, { enabled: false, password: 'a-new-password-1', roles: ['ADMIN'] }, actor);
    expect(emitted.map(([name]) => name)).toEqual([UserEvents.Disabled, UserEvents.CredentialsChanged, UserEvents.RolesChanged]);
    expect(emitted.every(([, event]) => event.userId === user.id && event.endSessions && event.keepSessionId === undefined)).toBe(true);
    expect(users.get(user.id)).toMatchObject({ enabled: false, passwordHash: 'hash:a-new-password-1', roles: [ADMIN] });
  });

  it('announces nothing for a change of names', async () => {
    const service = build();
    const user = add();
    await service.update(user.id, { firstName: 'Ada' }, actor);
    expect(emitted).toEqual([]);
  });

  it('refuses to take away the last enabled ADMIN (409), and changes nothing', async () => {
    const service = build();
    const admin = add({ roles: [ADMIN] });
    await expect(service.update(admin.id, { enabled: false }, actor)).rejects.toBeInstanceOf(ConflictException);
    await expect(service.update(admin.id, { roles: ['USER'] }, actor)).rejects.toBeInstanceOf(ConflictException);
    await expect(service.remove(admin.id, actor)).rejects.toBeInstanceOf(ConflictException);
    expect(users.get(admin.id)).toMatchObject({ enabled: true, roles: [ADMIN] });
    add({ roles: [ADMIN] });
    await service.update(admin.id, { enabled: false }, actor);
    expect(users.get(admin.id)!.enabled).toBe(false);
  });

  it('sends an administrator’s own password change to PUT /me/password', async () => {
    const service = build();
    const admin = add({ roles: [ADMIN] });
    await expect(
      service.update(admin.id, { password: 'a-new-password-1' }, { id: admin.id, sessionId: 's', permissions: [...BUILT_IN_PERMISSIONS] }),
    ).rejects.toThrow(/PUT \/api\/v1\/users\/me\/password/);
  });

  it('changes one’s own password: the current session kept and bound to the new password', async () => {
    const service = build();
    const user = add();
    await service.changeOwnPassword(user.id, 'old-password-123', 'a-new-password-1', 'current');
    expect(users.get(user.id)!.passwordHash).toBe('hash:a-new-password-1');
    expect(emitted).toEqual([
      [UserEvents.CredentialsChanged, { userId: user.id, keepSessionId: 'current', credential: expect.any(String) }],
    ]);
    expect(audited.map((r) => r.type)).toEqual(['password.changed']);
  });

  it('answers "new equals current" before verifying anything, whatever the guess', async () => {
    const service = build();
    const user = add();
    for (const guess of ['old-password-123', 'wrong-password-9']) {
      await expect(service.changeOwnPassword(user.id, guess, guess, 's')).rejects.toBeInstanceOf(BadRequestException);
    }
    expect(verified).toBe(0);
    expect(audited.map((r) => r.details?.reason)).toEqual(['new password equals current', 'new password equals current']);
  });

  it('refuses a wrong or locked current password alike (401), and a blocked address with 429', async () => {
    const service = build();
    const user = add();
    const statusOf = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 0,
        (error: unknown) => (error as HttpException).getStatus(),
      );
    expect(await statusOf(service.changeOwnPassword(user.id, 'wrong-password-9', 'a-new-password-1', 's'))).toBe(401);
    throttleAnswer = { kind: 'locked', lockedFor: 60 };
    expect(await statusOf(service.changeOwnPassword(user.id, 'old-password-123', 'a-new-password-1', 's'))).toBe(401);
    throttleAnswer = { kind: 'ip-blocked', retryAfter: 30 };
    expect(await statusOf(service.changeOwnPassword(user.id, 'old-password-123', 'a-new-password-1', 's'))).toBe(429);
    expect(users.get(user.id)!.passwordHash).toBe('hash:old-password-123');
    expect(emitted).toEqual([]);
    expect(audited.map((r) => r.type)).toEqual(['login.failure', 'login.failure', 'login.ip_blocked']);
  });

  it('writes only the profile columns of one’s own update, and 404s a user deleted meanwhile', async () => {
    const service = build();
    const user = add({ roles: [ADMIN] });
    users.get(user.id)!.enabled = false; // an administrator disabled them meanwhile
    await service.updateProfile(user.id, { firstName: 'Ada' });
    expect(users.get(user.id)).toMatchObject({ firstName: 'Ada', enabled: false });
    users.delete(user.id);
    await expect(service.updateProfile(user.id, { firstName: 'Ada' })).rejects.toThrow(/not found/);
    expect(users.has(user.id)).toBe(false);
  });
});
