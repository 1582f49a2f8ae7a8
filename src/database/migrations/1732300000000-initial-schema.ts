import { randomUUID } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * The first schema, written by hand for both dialects so that SQLite and PostgreSQL hold the same
 * tables: UUID ids (native `uuid` on PostgreSQL), time stamps with time zone on PostgreSQL, and a
 * unique index on the lower-cased username. Seeds the built-in roles ADMIN and USER.
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp, now, true: yes } = dialect(queryRunner);
    const statements = [
      `CREATE TABLE roles (
        id ${uuid} PRIMARY KEY NOT NULL,
        name varchar(64) NOT NULL,
        description varchar(255),
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        CONSTRAINT uq_roles_name UNIQUE (name)
      )`,
      `CREATE TABLE users (
        id ${uuid} PRIMARY KEY NOT NULL,
        username varchar(64) NOT NULL,
        username_normalized varchar(64) NOT NULL,
        email varchar(254),
        first_name varchar(100),
        last_name varchar(100),
        enabled boolean NOT NULL DEFAULT ${yes},
        password_hash varchar(255),
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        updated_at ${timestamp} NOT NULL DEFAULT ${now},
        CONSTRAINT uq_users_username_normalized UNIQUE (username_normalized)
      )`,
      `CREATE TABLE user_roles (
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_id ${uuid} NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, role_id)
      )`,
      `CREATE INDEX idx_user_roles_role_id ON user_roles (role_id)`,
      `CREATE TABLE refresh_tokens (
        id ${uuid} PRIMARY KEY NOT NULL,
        token_hash varchar(64) NOT NULL,
        session_id ${uuid} NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at ${timestamp} NOT NULL,
        spent_at ${timestamp},
        revoked_at ${timestamp},
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash)
      )`,
      `CREATE INDEX idx_refresh_tokens_session_id ON refresh_tokens (session_id)`,
      `CREATE INDEX idx_refresh_tokens_user_id ON refresh_tokens (user_id)`,
      `INSERT INTO roles (id, name, description) VALUES
        ('${randomUUID()}', 'ADMIN', 'Administrators: manage users and roles'),
        ('${randomUUID()}', 'USER', 'Signed-in users')`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['refresh_tokens', 'user_roles', 'users', 'roles']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
