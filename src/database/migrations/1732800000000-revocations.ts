import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/**
 * The revocation log: one compact row per revocation (a session ended, or something about a user
 * changed). Instances on one PostgreSQL database learn of revocations by LISTEN/NOTIFY (and Redis),
 * and poll this log once per REVOCATION_MAX_LAG as the safety net — one query for whatever happened
 * since their last look, however many sessions there are. Old rows are pruned.
 */
export class Revocations1732800000000 implements MigrationInterface {
  name = 'Revocations1732800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { pg, timestamp, now } = dialect(queryRunner);
    const id = pg ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
    await queryRunner.query(`CREATE TABLE revocations (
      id ${id},
      kind varchar(16) NOT NULL,
      target varchar(36) NOT NULL,
      created_at ${timestamp} NOT NULL DEFAULT ${now}
    )`);
    await queryRunner.query('CREATE INDEX idx_revocations_created_at ON revocations (created_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE revocations');
  }
}
