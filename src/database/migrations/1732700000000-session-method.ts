import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a session was started: the method (`password`, `oidc:<provider>`), the authentication methods
 * used (RFC 8176 `amr` values, comma-separated), so that later factors (MFA, step-up) can read what a
 * session already proved, and the fingerprint of the password it was started with: a session is
 * bound to that password and ends when it changes.
 */
export class SessionMethod1732700000000 implements MigrationInterface {
  name = 'SessionMethod1732700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sessions ADD COLUMN auth_method varchar(64)');
    await queryRunner.query('ALTER TABLE sessions ADD COLUMN amr varchar(255)');
    await queryRunner.query('ALTER TABLE sessions ADD COLUMN credential varchar(32)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN credential');
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN amr');
    await queryRunner.query('ALTER TABLE sessions DROP COLUMN auth_method');
  }
}
