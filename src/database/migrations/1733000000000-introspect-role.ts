import { randomUUID } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The built-in INTROSPECT role: services holding it may call POST /authenticate/introspect. Skipped
 * when a role of that name (in any case) was created by hand before; then that one serves.
 */
export class IntrospectRole1733000000000 implements MigrationInterface {
  name = 'IntrospectRole1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `INSERT INTO roles (id, name, description)
       SELECT '${randomUUID()}', 'INTROSPECT', 'Services that may introspect tokens (POST /authenticate/introspect)'
       WHERE NOT EXISTS (SELECT 1 FROM roles WHERE upper(name) = 'INTROSPECT')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM roles WHERE name = 'INTROSPECT'`);
  }
}
