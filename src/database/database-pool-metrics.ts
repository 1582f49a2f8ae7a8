import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The PostgreSQL pool's connections in use and queries waiting for one, read on scrape from the pg
 * driver's pool. SQLite has no pool (one synchronous connection per process): nothing is reported.
 */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    if (this.dataSource.options.type !== 'postgres') return;
    const pool = () => (this.dataSource.driver as unknown as { master?: Pool }).master;
    this.metrics.observe('databasePoolInUse', () => {
      const current = pool();
      return current ? current.totalCount - current.idleCount : 0;
    });
    this.metrics.observe('databasePoolWaiting', () => pool()?.waitingCount ?? 0);
  }
}
