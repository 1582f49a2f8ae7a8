import { SpanAttributes, activeTracing } from './tracing';

/** The part of a better-sqlite3 statement TypeORM runs queries through. */
interface SqliteStatement {
  run(...parameters: unknown[]): unknown;
  get(...parameters: unknown[]): unknown;
  all(...parameters: unknown[]): unknown;
}

/** The part of a better-sqlite3 database every statement is made by. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

const EXECUTE = ['run', 'get', 'all'] as const;

/**
 * better-sqlite3 has no OpenTelemetry instrumentation, so with tracing on each statement TypeORM
 * prepares (TypeORM caches them) runs in a client span named like the PostgreSQL instrumentation's
 * (`sqlite.query:SELECT`), with the stable semantic-convention attributes `db.system.name`,
 * `db.operation.name` and `db.query.text` — the statement as prepared, with its `?` placeholders:
 * the values bound to them are never looked at. Only statements run within a traced request get a
 * span (as with `requireParentSpan` for PostgreSQL and Redis), not the background polls.
 * With tracing off this does nothing: the database's own `prepare` stays in place.
 */
export function traceSqliteStatements(db: SqliteDatabase): void {
  const tracing = activeTracing();
  if (!tracing) return;
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    const statement = prepare(sql);
    const operation = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
    const name = `sqlite.query:${operation}`;
    const attributes: SpanAttributes = { 'db.system.name': 'sqlite', 'db.operation.name': operation, 'db.query.text': sql };
    for (const method of EXECUTE) {
      const execute = statement[method];
      statement[method] = (...parameters: unknown[]) =>
        tracing.span(name, attributes, () => execute.apply(statement, parameters), { client: true, requireParent: true });
    }
    return statement;
  };
}
