import type { QueryRunner } from 'typeorm';

/**
 * Column types that differ between the two supported databases. Migrations use these so the same
 * statements create the same tables on SQLite and PostgreSQL. Frozen: changing a type here would
 * change what old migrations create, so new types get new names.
 */
export function dialect(queryRunner: QueryRunner) {
  const pg = queryRunner.connection.options.type === 'postgres';
  return {
    pg,
    uuid: pg ? 'uuid' : 'varchar(36)',
    timestamp: pg ? 'timestamptz' : 'datetime',
    now: pg ? 'now()' : "(datetime('now'))",
    true: pg ? 'true' : '1',
  };
}
