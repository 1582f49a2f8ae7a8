import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ensureDataDir } from '../config/data-dir';
import { appConfig } from '../config/app.config';
import { DatabaseHealth } from './database-health';
import { DatabasePoolMetrics } from './database-pool-metrics';
import { Transactions } from './transaction';
import { buildDataSourceOptions } from './typeorm-options';

/**
 * The connection, from the same options factory as the TypeORM CLI; migrations run at start-up.
 * Entities come from the modules that own them (`TypeOrmModule.forFeature`), so this module imports
 * no feature module. Global: every repository may open a transaction.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => {
        // The SQLite file's directory (DATA_DIR) is created here, once, not while parsing configuration.
        if (config.database.type === 'sqlite' && config.database.path !== ':memory:') ensureDataDir(config.dataDir);
        return {
          ...buildDataSourceOptions(config.database),
          autoLoadEntities: true,
          // Fail start-up at once instead of retrying for minutes when the database is unreachable.
          retryAttempts: 2,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers: [Transactions, DatabaseHealth, DatabasePoolMetrics],
  exports: [Transactions, DatabaseHealth],
})
export class DatabaseModule {}
