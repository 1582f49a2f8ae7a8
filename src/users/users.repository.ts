import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { BuiltInRole } from '../roles/role-names';
import { User } from './entities/user.entity';
import { Semaphore } from './password.service';

/** Any constant: the key of the PostgreSQL advisory lock taken by changes that may remove an administrator. */
const ADMIN_SET_LOCK = 0x6761_7465; // "gate"

/** The users table, as seen by a change that holds the administrators' lock. */
export interface AdminSetChange {
  users: Repository<User>;
  /** Enabled users with the ADMIN role, other than `userId`. */
  otherEnabledAdmins(userId: string): Promise<number>;
}

/**
 * Persistence for users where a plain repository is not enough: changes that must keep at least one
 * enabled administrator. Such a change checks "is anyone else an enabled ADMIN?" and then writes;
 * two of them at once (two administrators demoting each other) must not both pass the check, so they
 * run one at a time — on PostgreSQL under a transaction-scoped advisory lock, shared by every
 * instance; on SQLite (one process, one connection) under an in-process lock.
 */
@Injectable()
export class UsersRepository {
  private readonly adminSetLock = new Semaphore(1);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  changeAdminSet<T>(work: (change: AdminSetChange) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'postgres') {
      const users = this.dataSource.getRepository(User);
      return this.adminSetLock.run(() => work({ users, otherEnabledAdmins: (id) => countOtherEnabledAdmins(users, id) }));
    }
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_SET_LOCK]);
      const users = manager.getRepository(User);
      return work({ users, otherEnabledAdmins: (id) => countOtherEnabledAdmins(users, id) });
    });
  }
}

function countOtherEnabledAdmins(users: Repository<User>, userId: string): Promise<number> {
  return users
    .createQueryBuilder('user')
    .innerJoin('user.roles', 'role')
    .where('role.name = :admin', { admin: BuiltInRole.Admin })
    .andWhere('user.enabled = :enabled', { enabled: true })
    .andWhere('user.id <> :userId', { userId })
    .getCount();
}
