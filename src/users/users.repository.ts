import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectRepository } from '@nestjs/typeorm';
import { Raw, type FindOptionsWhere, type Repository } from 'typeorm';
import { normalizeUsername } from '../common/credentials';
import type { Identity } from '../common/interfaces/authenticated-user';
import { Transactions } from '../database/transaction';
import type { Role } from '../roles/entities/role.entity';
import { BuiltInRole, permissionsOfRoles } from '../roles/role-names';
import { User } from './entities/user.entity';
import { Semaphore } from './password.service';

/** Any constant: the key of the PostgreSQL advisory lock taken by changes that may remove an administrator. */
const ADMIN_SET_LOCK = 0x6761_7465; // "gate"

/** A user as the session check needs it: who they are, whether they may act, and which password sessions are bound to. */
export interface Account {
  identity: Identity;
  enabled: boolean;
  /** credentialFingerprint of the current password hash (null: no password). */
  credential: string | null;
}

/**
 * A short, one-way name for a password hash. A session started with a password records it; when
 * the password changes the names differ, and the session is refused — even one whose login checked
 * the old password just before the change and was started just after it.
 */
export function credentialFingerprint(passwordHash: string | null | undefined): string | null {
  return passwordHash ? createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22) : null;
}

/** Columns a change may set on a user (each only when given). */
export type UserColumns = Partial<Pick<User, 'email' | 'emailVerified' | 'locale' | 'firstName' | 'lastName' | 'enabled' | 'passwordHash'>>;

/** The users table, as seen by a change that holds the administrators' lock. */
export interface AdminSetChange {
  findById(id: string): Promise<User | null>;
  /** Sets exactly these columns (and, when given, exactly these roles): nothing else of the row is written. */
  update(user: User, columns: UserColumns, roles?: Role[]): Promise<void>;
  delete(id: string): Promise<void>;
  /** Enabled users with the ADMIN role, other than `userId`. */
  otherEnabledAdmins(userId: string): Promise<number>;
}

/** Identity of a loaded user (with roles): role names sorted. */
export function identityOf(user: User): Identity {
  const roles = user.roles ?? [];
  return { id: user.id, username: user.username, roles: roles.map((role) => role.name).sort(), permissions: permissionsOfRoles(roles) };
}

/** A role's stored permission list (JSON text); a damaged value grants nothing rather than failing every check. */
function parsePermissions(text: string | null): string[] {
  if (!text) return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The `users` table (and the user ↔ role links). The password hash is selected only by the two
 * queries that verify or replace it; every other read leaves it out (the column is `select: false`).
 */
@Injectable()
export class UsersRepository {
  private readonly adminSetLock = new Semaphore(1);

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly transactions: Transactions,
  ) {}

  /**
   * A page of users, oldest first. With `search`, only those whose username or e-mail address
   * contains it, ignoring case (LIKE with its wildcards escaped: `%` and `_` match themselves).
   * LOWER() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's only for non-ASCII.
   */
  list(page: number, limit: number, search?: string): Promise<[User[], number]> {
    let where: FindOptionsWhere<User>[] | undefined;
    if (search) {
      const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const contains = (column: string) => `LOWER(${column}) LIKE :pattern ESCAPE '\\'`;
      where = [{ usernameNormalized: Raw(contains, { pattern }) }, { email: Raw(contains, { pattern }) }];
    }
    return this.users.findAndCount({
      where,
      relations: { roles: true },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: (page - 1) * limit,
      take: limit,
    });
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id }, relations: { roles: true } });
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOne({ where: { usernameNormalized: normalizeUsername(username) }, relations: { roles: true } });
  }

  /** The user a provider knows by `systemId` (its subject). */
  findByProviderSubject(provider: string, systemId: string): Promise<User | null> {
    return this.users.findOne({ where: { identityProvider: provider, systemId }, relations: { roles: true } });
  }

  /**
   * The session check's read: identity, `enabled` and the password's fingerprint, or null for an
   * unknown id. Plain SQL, one row per role: it runs on every cache miss of the bearer guard (and on
   * every bearer request with REVOCATION_MAX_LAG=0), where TypeORM's building and hydration were
   * most of its cost.
   */
  async findAccount(id: string): Promise<Account | null> {
    const pg = this.users.manager.connection.options.type === 'postgres';
    const rows = (await this.users.query(
      `SELECT u.username, u.enabled, u.password_hash, r.name AS role, r.permissions
       FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id
       WHERE u.id = ${pg ? '$1' : '?'}`,
      [id],
    )) as { username: string; enabled: boolean | number; password_hash: string | null; role: string | null; permissions: string | null }[];
    if (rows.length === 0) return null;
    const held = rows
      .filter((row): row is typeof row & { role: string } => row.role !== null)
      .map((row) => ({ name: row.role, permissions: parsePermissions(row.permissions) }));
    const roles = held.map((role) => role.name).sort();
    return {
      identity: { id, username: rows[0].username, roles, permissions: permissionsOfRoles(held) },
      enabled: rows[0].enabled === true || rows[0].enabled === 1,
      credential: credentialFingerprint(rows[0].password_hash),
    };
  }

  /** For password login only: the one query that reads the hash by username. */
  findForLogin(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .leftJoinAndSelect('user.roles', 'role')
      .where('user.usernameNormalized = :username', { username: normalizeUsername(username) })
      .getOne();
  }

  /** For a password reset: the user with the hash and roles, by username. */
  findWithHashByUsername(username: string): Promise<User | null> {
    return this.findForLogin(username);
  }

  /** For a password change: the user with the hash, by id. */
  findWithHash(id: string): Promise<User | null> {
    return this.users.createQueryBuilder('user').addSelect('user.passwordHash').where('user.id = :id', { id }).getOne();
  }

  /** For a password reset by e-mail: the users (with their hashes) whose *verified* address this is, regardless of case. */
  findByVerifiedEmail(email: string): Promise<User[]> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('lower(user.email) = :email AND user.emailVerified = :verified', { email: email.toLowerCase(), verified: true })
      .take(10)
      .getMany();
  }

  /** Marks the address verified, only if it is still `email` (a change since the link was sent wins). */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    return ((await this.users.update({ id, email }, { emailVerified: true })).affected ?? 0) > 0;
  }

  existsById(id: string): Promise<boolean> {
    return this.users.existsBy({ id });
  }

  existsByUsername(username: string): Promise<boolean> {
    return this.users.existsBy({ usernameNormalized: normalizeUsername(username) });
  }

  count(): Promise<number> {
    return this.users.count();
  }

  create(fields: Partial<User>): User {
    return this.users.create(fields);
  }

  /**
   * Inserts a new user with their role links (a concurrent insert of the same name fails on the unique
   * index), or writes a loaded one back. Changes to existing users otherwise go through `update`,
   * which writes only the columns it is given: a load-then-save could undo a concurrent change (or
   * re-insert a user deleted meanwhile).
   */
  save(user: User): Promise<User> {
    return this.users.save(user);
  }

  /** Sets exactly these columns of an existing user; false when there is no such user (any more). */
  async update(id: string, columns: UserColumns): Promise<boolean> {
    if (Object.keys(columns).length === 0) return this.existsById(id);
    return ((await this.users.update({ id }, columns)).affected ?? 0) > 0;
  }

  /**
   * Replaces the password hash, only if it is still `expected` when given: a rehash after a login
   * must not undo a password change made meanwhile. False when nothing was written.
   */
  async updatePasswordHash(id: string, passwordHash: string, expected?: string): Promise<boolean> {
    const where = expected === undefined ? { id } : { id, passwordHash: expected };
    return ((await this.users.update(where, { passwordHash })).affected ?? 0) > 0;
  }

  /**
   * Runs a change that must keep at least one enabled administrator. It checks "is anyone else an
   * enabled ADMIN?" and then writes; two of them at once (two administrators demoting each other)
   * must not both pass the check, so they run one at a time — on PostgreSQL under a
   * transaction-scoped advisory lock, shared by every instance; on SQLite (one process, one
   * connection) under an in-process lock.
   */
  changeAdminSet<T>(work: (change: AdminSetChange) => Promise<T>): Promise<T> {
    if (!this.transactions.isPostgres) return this.adminSetLock.run(() => work(adminSetChange(this.users)));
    return this.transactions.run(async (tx) => {
      await tx.manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_SET_LOCK]);
      return work(adminSetChange(tx.manager.getRepository(User)));
    });
  }
}

function adminSetChange(users: Repository<User>): AdminSetChange {
  return {
    findById: (id) => users.findOne({ where: { id }, relations: { roles: true } }),
    update: async (user, columns, roles) => {
      if (Object.keys(columns).length > 0) await users.update({ id: user.id }, columns);
      if (roles) {
        const before = new Set((user.roles ?? []).map((role) => role.id));
        const after = new Set(roles.map((role) => role.id));
        await users
          .createQueryBuilder()
          .relation(User, 'roles')
          .of(user.id)
          .addAndRemove(
            roles.filter((role) => !before.has(role.id)),
            (user.roles ?? []).filter((role) => !after.has(role.id)),
          );
      }
    },
    delete: async (id) => void (await users.delete({ id })),
    otherEnabledAdmins: (userId) =>
      users
        .createQueryBuilder('user')
        .innerJoin('user.roles', 'role')
        .where('role.name = :admin', { admin: BuiltInRole.Admin })
        .andWhere('user.enabled = :enabled', { enabled: true })
        .andWhere('user.id <> :userId', { userId })
        .getCount(),
  };
}
