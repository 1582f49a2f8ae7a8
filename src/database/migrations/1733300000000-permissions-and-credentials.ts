import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * Permissions and machine credentials: roles carry permissions (a JSON list), sessions remember the
 * scope a login asked for, large scopes are stored once by hash (tokens carry the reference),
 * personal access tokens (stored as SHA-256) and OAuth clients (secrets argon2-hashed, the previous
 * one kept for a grace period after a rotation).
 */
export class PermissionsAndCredentials1733300000000 implements MigrationInterface {
  name = 'PermissionsAndCredentials1733300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp, now, pg } = dialect(queryRunner);
    const statements = [
      `ALTER TABLE roles ADD COLUMN permissions text NOT NULL DEFAULT '[]'`,
      `ALTER TABLE sessions ADD COLUMN scope text`,
      `CREATE TABLE scope_sets (
        hash varchar(64) PRIMARY KEY NOT NULL,
        scope text NOT NULL,
        created_at ${timestamp} NOT NULL DEFAULT ${now}
      )`,
      `CREATE TABLE personal_access_tokens (
        id ${uuid} PRIMARY KEY NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        token_hash varchar(64) NOT NULL UNIQUE,
        scopes text NOT NULL,
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        expires_at ${timestamp} NOT NULL,
        last_used_at ${timestamp},
        revoked_at ${timestamp}
      )`,
      `CREATE INDEX idx_personal_access_tokens_user ON personal_access_tokens (user_id)`,
      `CREATE TABLE oauth_clients (
        id ${uuid} PRIMARY KEY NOT NULL,
        name varchar(100) NOT NULL,
        scopes text NOT NULL,
        secret_hash varchar(255) NOT NULL,
        previous_secret_hash varchar(255),
        previous_secret_expires_at ${timestamp},
        enabled boolean NOT NULL DEFAULT ${pg ? 'true' : '1'},
        created_by ${uuid},
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        secret_rotated_at ${timestamp}
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE oauth_clients');
    await queryRunner.query('DROP TABLE personal_access_tokens');
    await queryRunner.query('DROP TABLE scope_sets');
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN scope');
    await queryRunner.query('ALTER TABLE roles DROP COLUMN permissions');
  }
}
