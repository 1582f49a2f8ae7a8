import { existsSync } from 'node:fs';
import { DataSource, MigrationExecutor } from 'typeorm';
import type { DatabaseConfig } from '../config/app.config';
import { buildDataSourceOptions } from './typeorm-options';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Why a maintenance task cannot run (no database file, a backup target that exists, PostgreSQL's backup). */
export class MaintenanceRefused extends Error {}

/**
 * The operators' database tasks (`gatehouse migration:status`, `gatehouse db:backup`): a connection
 * of their own, from the same options as the app's but running no migration — the status must show
 * what is pending, and a backup must copy the database as it is, while the server runs.
 */
export class DatabaseMaintenance {
  private constructor(private readonly dataSource: DataSource) {}

  static async open(database: DatabaseConfig): Promise<DatabaseMaintenance> {
    // better-sqlite3 would create an empty file: a mistyped DATA_DIR should say so instead.
    if (database.type === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path)) {
      throw new MaintenanceRefused(`No database at ${database.path} (check DATA_DIR / DATABASE_URL)`);
    }
    const dataSource = new DataSource({ ...buildDataSourceOptions(database), migrationsRun: false });
    await dataSource.initialize();
    return new DatabaseMaintenance(dataSource);
  }

  /** The migrations this version of Gatehouse knows, applied or pending, by name, oldest first. */
  async migrationStatus(): Promise<MigrationStatus> {
    const executor = new MigrationExecutor(this.dataSource);
    const applied = (await executor.getExecutedMigrations()).map((migration) => migration.name).reverse();
    const pending = (await executor.getPendingMigrations()).map((migration) => migration.name);
    return { applied, pending };
  }

  /**
   * SQLite: an online copy with `VACUUM INTO` — a consistent snapshot (a read transaction: the server
   * keeps writing meanwhile; WAL), compacted, to a new file. PostgreSQL has its own tools (pg_dump):
   * refused before connecting.
   */
  static async backup(database: DatabaseConfig, file: string): Promise<void> {
    if (database.type !== 'sqlite') {
      throw new MaintenanceRefused(
        'db:backup copies a SQLite database; back up PostgreSQL with its own tools, e.g. pg_dump --format=custom "$DATABASE_URL" > gatehouse.dump',
      );
    }
    // VACUUM INTO refuses an existing file too; said here in plain words.
    if (existsSync(file)) throw new MaintenanceRefused(`${file} exists; give a new file name`);
    const maintenance = await DatabaseMaintenance.open(database);
    try {
      await maintenance.dataSource.query('VACUUM INTO ?', [file]);
    } finally {
      await maintenance.close();
    }
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
