import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, FindOptionsWhere, LessThanOrEqual, MoreThanOrEqual, Repository } from 'typeorm';
import { RawSql } from '../database/raw-sql';
import type { Tx } from '../database/transaction';
import { AuditEvent } from './entities/audit-event.entity';

export interface AuditQuery {
  userId?: string;
  type?: string;
  from?: Date;
  to?: Date;
  page: number;
  limit: number;
}

/** The `audit_events` table. */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  async insert(row: AuditEvent): Promise<void> {
    await this.events.insert(row);
  }

  /**
   * Inserts inside the caller's transaction: the event commits with the change it describes, in
   * the same commit. Plain SQL: this runs on every login and refresh, where TypeORM's insert
   * building was measurable.
   */
  async insertIn(tx: Tx, row: AuditEvent): Promise<void> {
    const sql = new RawSql(tx.manager);
    await sql.run(
      `INSERT INTO audit_events (id, created_at, type, user_id, username, actor_id, ip, user_agent, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [row.id, sql.date(row.createdAt), row.type, row.userId, row.username, row.actorId, row.ip, row.userAgent, row.requestId, row.details],
    );
  }

  /**
   * The insert of `row` as a piece of a larger statement (PostgreSQL: a data-modifying CTE), taking
   * `user_id` and `details` from expressions over `from`, so the refresh rotation can commit its
   * event in the same single statement. Parameters are numbered from `firstParam`.
   */
  insertFromSelect(
    row: AuditEvent,
    from: string,
    exprs: { userId: string; details: string },
    firstParam: number,
  ): { sql: string; params: unknown[] } {
    const p = (i: number) => `$${firstParam + i}`;
    return {
      sql: `INSERT INTO audit_events (id, created_at, type, user_id, username, actor_id, ip, user_agent, request_id, details)
        SELECT ${p(0)}::uuid, ${p(1)}::timestamptz, ${p(2)}, ${exprs.userId}, ${p(3)}, ${p(4)}::uuid, ${p(5)}, ${p(6)}, ${p(7)}, ${exprs.details} FROM ${from} RETURNING id`,
      params: [row.id, row.createdAt, row.type, row.username, row.actorId, row.ip, row.userAgent, row.requestId],
    };
  }

  async find(query: AuditQuery): Promise<{ items: AuditEvent[]; total: number }> {
    const where: FindOptionsWhere<AuditEvent> = {};
    if (query.userId) where.userId = query.userId;
    if (query.type) where.type = query.type;
    if (query.from && query.to) where.createdAt = Between(query.from, query.to);
    else if (query.from) where.createdAt = MoreThanOrEqual(query.from);
    else if (query.to) where.createdAt = LessThanOrEqual(query.to);
    const [items, total] = await this.events.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (query.page - 1) * query.limit,
      take: query.limit,
    });
    return { items, total };
  }
}
