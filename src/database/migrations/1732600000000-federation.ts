import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * OpenID Connect federation: users remember which provider and subject they came from, and two
 * short-lived tables carry a login across the redirect to the provider and back to the frontend.
 */
export class Federation1732600000000 implements MigrationInterface {
  name = 'Federation1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp } = dialect(queryRunner);
    const statements = [
      `ALTER TABLE users ADD COLUMN identity_provider varchar(40)`,
      `ALTER TABLE users ADD COLUMN system_id varchar(255)`,
      // One local user per provider subject (NULLs, i.e. local users, do not collide).
      `CREATE UNIQUE INDEX idx_users_identity ON users (identity_provider, system_id)`,
      `CREATE TABLE oidc_pending_logins (
        state_hash varchar(64) PRIMARY KEY NOT NULL,
        provider varchar(40) NOT NULL,
        nonce varchar(128) NOT NULL,
        code_verifier varchar(128) NOT NULL,
        redirect varchar(2048) NOT NULL,
        redirect_uri varchar(2048) NOT NULL,
        expires_at ${timestamp} NOT NULL
      )`,
      `CREATE TABLE oidc_login_codes (
        code_hash varchar(64) PRIMARY KEY NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id ${uuid} NOT NULL,
        provider varchar(40) NOT NULL,
        expires_at ${timestamp} NOT NULL
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE oidc_login_codes');
    await queryRunner.query('DROP TABLE oidc_pending_logins');
    await queryRunner.query('DROP INDEX idx_users_identity');
    await queryRunner.query('ALTER TABLE users DROP COLUMN system_id');
    await queryRunner.query('ALTER TABLE users DROP COLUMN identity_provider');
  }
}
