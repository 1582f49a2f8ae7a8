import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { MetricsServer } from './metrics-server';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics (docs/operations.md#metrics). Global: modules record through MetricsService
 * without importing this module; it imports no feature module (they register what it reads).
 */
@Global()
@Module({
  providers: [MetricsService, HttpMetrics, MetricsServer],
  exports: [MetricsService],
})
export class MetricsModule {}
