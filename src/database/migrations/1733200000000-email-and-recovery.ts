import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * E-mail verification and password reset: users say whether their address is verified and which
 * language their mail is in; one table holds the links' tokens (as SHA-256), each bound to what it
 * may change (the password hash it replaces, the address it confirms), single use.
 */
export class EmailAndRecovery1733200000000 implements MigrationInterface {
  name = 'EmailAndRecovery1733200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp, now, pg } = dialect(queryRunner);
    const statements = [
      `ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT ${pg ? 'false' : '0'}`,
      `ALTER TABLE users ADD COLUMN locale varchar(16)`,
      `CREATE TABLE account_tokens (
        token_hash varchar(64) PRIMARY KEY NOT NULL,
        kind varchar(32) NOT NULL,
        user_id ${uuid} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        binding varchar(64) NOT NULL,
        expires_at ${timestamp} NOT NULL,
        used_at ${timestamp},
        created_at ${timestamp} NOT NULL DEFAULT ${now}
      )`,
      `CREATE INDEX idx_account_tokens_user ON account_tokens (user_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE account_tokens');
    await queryRunner.query('ALTER TABLE users DROP COLUMN locale');
    await queryRunner.query('ALTER TABLE users DROP COLUMN email_verified');
  }
}
