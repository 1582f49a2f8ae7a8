import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { normalizeUsername } from '../common/credentials';
import type { Identity } from '../common/interfaces/authenticated-user';
import { Transactions } from '../database/transaction';
import { BuiltInRole } from '../roles/role-names';
import { User } from './entities/user.entity';
import { Semaphore } from './password.service';

/** Any constant: the key of the PostgreSQL advisory lock taken by changes that may remove an administrator. */
const ADMIN_SET_LOCK = 0x6761_7465; // "gate"

/** A user as the session check needs it: who they are, and whether they may act at all. */
export interface Account {
  identity: Identity;
  enabled: boolean;
}

/** The users table, as seen by a change that holds the administrators' lock. */
export interface AdminSetChange {
  findById(id: string): Promise<User | null>;
  save(user: User): Promise<User>;
  delete(id: string): Promise<void>;
  /** Enabled users with the ADMIN role, other than `userId`. */
  otherEnabledAdmins(userId: string): Promise<number>;
}

/** Identity of a loaded user (with roles): role names sorted. */
export function identityOf(user: User): Identity {
  return { id: user.id, username: user.username, roles: (user.roles ?? []).map((role) => role.name).sort() };
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

  list(page: number, limit: number): Promise<[User[], number]> {
    return this.users.findAndCount({
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

  /** The session check's read: identity and `enabled`, or null for an unknown id. */
  async findAccount(id: string): Promise<Account | null> {
    const user = await this.findById(id);
    return user ? { identity: identityOf(user), enabled: user.enabled } : null;
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

  /** For a password change: the user with the hash, by id. */
  findWithHash(id: string): Promise<User | null> {
    return this.users.createQueryBuilder('user').addSelect('user.passwordHash').where('user.id = :id', { id }).getOne();
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

  /** Inserts or updates the user and their role links (a concurrent insert of the same name fails on the unique index). */
  save(user: User): Promise<User> {
    return this.users.save(user);
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash });
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
    save: (user) => users.save(user),
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
