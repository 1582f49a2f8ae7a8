import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { currentRequestContext } from '../common/request-context';
import type { Tx } from '../database/transaction';
import type { AuditEventType } from './audit-event-types';
import { AuditQuery, AuditRepository } from './audit.repository';
import { AuditEvent } from './entities/audit-event.entity';

export type { AuditQuery } from './audit.repository';

export interface AuditRecord {
  type: AuditEventType;
  userId?: string | null;
  username?: string | null;
  actorId?: string | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(private readonly events: AuditRepository) {}

  /**
   * Stores an event with the caller's IP, user agent and request id. A failure to write is logged
   * and does not fail the request: the action it records has already happened.
   */
  async record(record: AuditRecord): Promise<void> {
    try {
      await this.events.insert(this.row(record));
    } catch (error) {
      this.logger.error(`Could not write audit event ${record.type}: ${(error as Error).message}`);
    }
  }

  /**
   * Records the event inside the caller's transaction: it commits with the change it describes,
   * in the same commit (one disk flush instead of two on the hot paths login and refresh).
   */
  recordIn(tx: Tx, record: AuditRecord): Promise<void> {
    return this.events.insertIn(tx, this.row(record));
  }

  /** `record` as a piece of a larger statement (see AuditRepository.insertFromSelect). */
  insertFromSelect(
    record: AuditRecord,
    from: string,
    exprs: { userId: string; details: string },
    firstParam: number,
  ): { sql: string; params: unknown[] } {
    return this.events.insertFromSelect(this.row(record), from, exprs, firstParam);
  }

  private row(record: AuditRecord): AuditEvent {
    const context = currentRequestContext();
    // A change made at the command line says so in its details (`actor: cli`; the column actor_id holds users only).
    const details = context?.actor ? { ...record.details, actor: context.actor } : record.details;
    return {
      id: randomUUID(),
      createdAt: new Date(),
      type: record.type,
      userId: record.userId ?? null,
      username: record.username?.slice(0, 64) ?? null,
      actorId: record.actorId ?? null,
      ip: context?.ip?.slice(0, 64) ?? null,
      userAgent: context?.userAgent?.slice(0, 512) ?? null,
      requestId: context?.requestId ?? null,
      details: details ? serializeDetails(details) : null,
    } as AuditEvent;
  }

  find(query: AuditQuery): Promise<{ items: AuditEvent[]; total: number }> {
    return this.events.find(query);
  }

  /**
   * Every event the filters match, newest first, a batch of EXPORT_BATCH at a time (so an export
   * never holds more than one batch in memory); null when more than AUDIT_EXPORT_MAX match. The end of
   * the range is fixed first (now, when not given), so events written during the export do not shift
   * the pages and repeat rows.
   */
  async export(filters: Omit<AuditQuery, 'page' | 'limit'>): Promise<AsyncIterable<AuditEvent[]> | null> {
    const now = new Date();
    const query = { ...filters, to: filters.to && filters.to < now ? filters.to : now, limit: EXPORT_BATCH };
    const first = await this.events.find({ ...query, page: 1 });
    if (first.total > AUDIT_EXPORT_MAX) return null;
    const events = this.events;
    return (async function* () {
      yield first.items;
      let read = first.items.length;
      for (let page = 2; read < first.total; page++) {
        const next = await events.find({ ...query, page });
        if (next.items.length === 0) return;
        read += next.items.length;
        yield next.items;
      }
    })();
  }
}

/** The most events one CSV export holds. */
export const AUDIT_EXPORT_MAX = 50_000;
const EXPORT_BATCH = 1000;

/** The column holds 1,000 characters. */
const MAX_DETAILS = 1000;

/**
 * Details as JSON that fits the column and still parses: long lists keep their first items and
 * say how many there were, long strings are cut; what still does not fit keeps only its field names.
 */
export function serializeDetails(details: Record<string, unknown>): string {
  const whole = JSON.stringify(details);
  if (whole.length <= MAX_DETAILS) return whole;
  const shortened = Object.fromEntries(
    Object.entries(details).map(([key, value]) => {
      if (Array.isArray(value) && value.length > 5) return [key, [...value.slice(0, 5), `… ${value.length} in all`]];
      if (typeof value === 'string' && value.length > 200) return [key, `${value.slice(0, 200)}…`];
      return [key, value];
    }),
  );
  const short = JSON.stringify(shortened);
  if (short.length <= MAX_DETAILS) return short;
  // Who acted (`actor: cli`) survives even this.
  const actor = typeof details.actor === 'string' ? { actor: details.actor } : {};
  return JSON.stringify({ truncated: true, ...actor, fields: Object.keys(details).slice(0, 20) }).slice(0, MAX_DETAILS);
}
