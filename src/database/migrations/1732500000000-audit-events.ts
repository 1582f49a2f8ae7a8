import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialect } from './dialect';

/** The audit log. No foreign key to users: events outlive the users they are about. */
export class AuditEvents1732500000000 implements MigrationInterface {
  name = 'AuditEvents1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { uuid, timestamp } = dialect(queryRunner);
    const statements = [
      `CREATE TABLE audit_events (
        id ${uuid} PRIMARY KEY NOT NULL,
        created_at ${timestamp} NOT NULL,
        type varchar(40) NOT NULL,
        user_id ${uuid},
        username varchar(64),
        actor_id ${uuid},
        ip varchar(64),
        user_agent varchar(512),
        request_id varchar(64),
        details varchar(1000)
      )`,
      `CREATE INDEX idx_audit_events_created_at ON audit_events (created_at)`,
      `CREATE INDEX idx_audit_events_user_id ON audit_events (user_id, created_at)`,
      `CREATE INDEX idx_audit_events_type ON audit_events (type, created_at)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_events');
  }
}
