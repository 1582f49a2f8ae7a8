import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app.config';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { SigningKey } from '../auth/entities/signing-key.entity';
import { OidcLoginCode } from '../federation/entities/oidc-login-code.entity';
import { OidcPendingLogin } from '../federation/entities/oidc-pending-login.entity';
import { Session } from '../sessions/entities/session.entity';
import { Role } from '../roles/entities/role.entity';
import { User } from '../users/entities/user.entity';
import { migrations } from './migrations';

export const entities = [User, Role, Session, RefreshToken, SigningKey, AuditEvent, OidcPendingLogin, OidcLoginCode];

/**
 * One options factory for the app and for the TypeORM CLI (ormconfig.ts). The schema comes from
 * migrations only, run at start-up; `synchronize` stays off.
 */
export function buildDataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: ['error', 'warn', 'migration'] as ('error' | 'warn' | 'migration')[],
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
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('synchronous = FULL');
    },
    // Another process holding the write lock makes us wait up to 5 s instead of failing at once.
    timeout: 5000,
  };
}
