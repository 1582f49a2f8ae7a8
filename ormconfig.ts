import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app.config';
import { buildDataSourceOptions } from './src/database/typeorm-options';

/** The DataSource for the TypeORM CLI (`npm run typeorm -- migration:run`), built like the app's. */
export default new DataSource({
  ...buildDataSourceOptions(loadConfig(process.env).database, [join(__dirname, 'src/**/*.entity.{ts,js}')]),
  migrationsRun: false,
});
