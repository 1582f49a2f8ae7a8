import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Whether the database answers, and whether its schema is the one this build expects (readiness). */
@Injectable()
export class DatabaseHealth {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async ping(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The names of this build's migrations that the database has not recorded as applied. Read from the
   * migrations table directly: TypeORM's `showMigrations()` would create the table if missing and log
   * every migration on each call. Throws when the database does not answer.
   */
  async pendingMigrations(): Promise<string[]> {
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    const rows: { name: string }[] = await this.dataSource.query(`SELECT name FROM ${this.dataSource.driver.escape(table)}`);
    const applied = new Set(rows.map((row) => row.name));
    return this.dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name).filter((name) => !applied.has(name));
  }
}
