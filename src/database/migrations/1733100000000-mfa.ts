import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * Multi-factor login (docs/mfa.md): a TOTP secret per user (encrypted; the last time step used, so a
 * code is accepted once), recovery codes (hashed, single use), passkeys (WebAuthn public keys), and
 * short-lived challenges (the mfa_token between the password and the second factor; WebAuthn
 * challenges). Sessions remember a restriction: `mfa_enrolment` while a user whom MFA_REQUIRED_ROLES
 * names has no factor yet.
 */
export class Mfa1733100000000 implements MigrationInterface {
  name = 'Mfa1733100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp, now } = dialect(queryRunner);
    const statements = [
      `ALTER TABLE sessions ADD COLUMN restriction varchar(32)`,
      `CREATE TABLE mfa_totp (
        user_id ${uuid} PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        secret varchar(255) NOT NULL,
        confirmed_at ${timestamp},
        last_step bigint NOT NULL DEFAULT 0,
        created_at ${timestamp} NOT NULL DEFAULT ${now}
      )`,
      `CREATE TABLE mfa_recovery_codes (
        id ${uuid} PRIMARY KEY NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        code_hash varchar(64) NOT NULL,
        used_at ${timestamp},
        created_at ${timestamp} NOT NULL DEFAULT ${now}
      )`,
      `CREATE UNIQUE INDEX idx_mfa_recovery_codes_user_code ON mfa_recovery_codes (user_id, code_hash)`,
      `CREATE TABLE mfa_challenges (
        id_hash varchar(64) PRIMARY KEY NOT NULL,
        kind varchar(32) NOT NULL,
        user_id ${uuid} REFERENCES users (id) ON DELETE CASCADE,
        data text,
        expires_at ${timestamp} NOT NULL,
        used_at ${timestamp}
      )`,
      `CREATE INDEX idx_mfa_challenges_expires ON mfa_challenges (expires_at)`,
      `CREATE TABLE webauthn_credentials (
        id ${uuid} PRIMARY KEY NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        credential_id varchar(1024) NOT NULL,
        public_key text NOT NULL,
        counter bigint NOT NULL DEFAULT 0,
        transports varchar(255),
        device_type varchar(16) NOT NULL,
        backed_up ${dialect(queryRunner).pg ? 'boolean' : 'integer'} NOT NULL,
        name varchar(64) NOT NULL,
        created_at ${timestamp} NOT NULL DEFAULT ${now},
        last_used_at ${timestamp}
      )`,
      `CREATE UNIQUE INDEX idx_webauthn_credentials_credential ON webauthn_credentials (credential_id)`,
      `CREATE INDEX idx_webauthn_credentials_user ON webauthn_credentials (user_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE webauthn_credentials');
    await queryRunner.query('DROP TABLE mfa_challenges');
    await queryRunner.query('DROP TABLE mfa_recovery_codes');
    await queryRunner.query('DROP TABLE mfa_totp');
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN restriction');
  }
}
