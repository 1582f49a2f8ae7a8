import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * Login sessions as rows of their own (listed, ended, checked by the bearer guard), and the shared
 * signing key that instances on one PostgreSQL database use when JWT_SECRET is not set. Sessions
 * that already exist as refresh-token families are carried over.
 */
export class Sessions1732400000000 implements MigrationInterface {
  name = 'Sessions1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp, now } = dialect(queryRunner);
    const statements = [
      `CREATE TABLE sessions (
        id ${uuid} PRIMARY KEY NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        last_used_at ${timestamp} NOT NULL DEFAULT ${now},
        expires_at ${timestamp} NOT NULL,
        revoked_at ${timestamp},
        user_agent varchar(512),
        ip varchar(64)
      )`,
      `CREATE INDEX idx_sessions_user_id ON sessions (user_id)`,
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at)
        SELECT session_id, user_id, MIN(created_at), MAX(created_at), MAX(expires_at),
               CASE WHEN COUNT(revoked_at) > 0 THEN MAX(revoked_at) END
        FROM refresh_tokens GROUP BY session_id, user_id`,
      `CREATE TABLE signing_keys (
        id varchar(64) PRIMARY KEY NOT NULL,
        secret varchar(255) NOT NULL,
        created_at ${timestamp} NOT NULL DEFAULT ${now}
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE signing_keys');
    await queryRunner.query('DROP TABLE sessions');
  }
}
