import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ReadinessService } from './readiness.service';
import { RedisHealth } from './redis-health';
import { StartupState } from './startup-state';

@Module({ controllers: [HealthController], providers: [ReadinessService, RedisHealth, StartupState] })
export class HealthModule {}
