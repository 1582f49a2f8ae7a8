import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app.config';
import { migrations } from './migrations';
import { TypeOrmLogger } from './typeorm-logger';
import { SqliteDatabase, traceSqliteStatements } from '../tracing/sqlite';

/**
 * One options factory for the app and for the TypeORM CLI (ormconfig.ts). The schema comes from
 * migrations only, run at start-up; `synchronize` stays off. The app's entities are registered by
 * their modules (`autoLoadEntities`); the CLI passes a glob.
 */
export function buildDataSourceOptions(database: DatabaseConfig, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  const common = {
    entities,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // Errors, warnings and migrations, never a query's parameters (see TypeOrmLogger).
    logger: new TypeOrmLogger(),
  };
  if (database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      // Fail fast when the database is unreachable instead of hanging a request.
      connectTimeoutMS: 5000,
      extra: { max: 10, idleTimeoutMillis: 30_000 },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    // WAL: readers never block the writer and a crash loses no committed transaction.
    enableWAL: database.path !== ':memory:',
    // FULL (SQLite's default, stated here on purpose): a committed transaction survives power loss too.
    prepareDatabase: (db: SqliteDatabase & { pragma(source: string): unknown }) => {
      db.pragma('synchronous = FULL');
      // better-sqlite3 has no OpenTelemetry instrumentation: with tracing on, its statements get spans here.
      traceSqliteStatements(db);
    },
    // Another process holding the write lock makes us wait up to 5 s instead of failing at once.
    timeout: 5000,
  };
}
