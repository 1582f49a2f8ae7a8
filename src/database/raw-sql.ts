import type { EntityManager } from 'typeorm';

export interface RawResult {
  rows: Record<string, unknown>[];
  /** Rows written by INSERT/UPDATE/DELETE (or returned by `RETURNING`). */
  affected: number;
}

/**
 * Hand-written SQL for the few hot paths where TypeORM's query building costs more than the query
 * (refresh-token rotation: about a fifth of its CPU time went to building and hydrating). Statements
 * are written once with PostgreSQL's `$1` placeholders, each parameter used once and in order, and
 * run on either database; dates go through `date()` because SQLite stores them as TypeORM does, as
 * UTC text that sorts like time.
 */
export class RawSql {
  private readonly pg: boolean;

  constructor(private readonly manager: EntityManager) {
    this.pg = manager.connection.options.type === 'postgres';
  }

  date(value: Date): Date | string {
    return this.pg ? value : value.toISOString().replace('T', ' ').slice(0, 23);
  }

  /** A date column as read back: a Date from PostgreSQL, UTC text (`YYYY-MM-DD HH:MM:SS[.SSS]`) from SQLite. */
  readDate(value: unknown): Date {
    return readDate(value);
  }

  async run(sql: string, parameters: unknown[]): Promise<RawResult> {
    const runner = this.manager.queryRunner;
    if (!runner) throw new Error('RawSql runs inside a transaction only');
    const text = this.pg ? sql : sql.replace(/\$\d+/g, '?');
    const result = (await runner.query(text, parameters, true)) as { records?: Record<string, unknown>[]; affected?: number };
    const rows = result.records ?? [];
    return { rows, affected: result.affected ?? rows.length };
  }
}

/** A date column as read back: a Date from PostgreSQL, UTC text (`YYYY-MM-DD HH:MM:SS[.SSS]`) from SQLite. */
export function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}
