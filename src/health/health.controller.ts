import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DatabaseHealth } from '../database/database-health';
import { Public } from '../common/decorators/public.decorator';
import type { ErrorBodyCarrier } from '../common/exceptions/auth.exceptions';
import { ReadyView, StartedView } from './dto/health.view';
import { ReadinessChecks, ReadinessService } from './readiness.service';
import { StartupState } from './startup-state';

/**
 * 503 from /health/ready: the one error body, `error: "not_ready"`, plus `checks`, the state of every
 * dependency.
 */
export class NotReadyException extends ServiceUnavailableException implements ErrorBodyCarrier {
  readonly errorCode = 'not_ready';
  readonly details: { checks: ReadinessChecks };

  constructor(failures: string[], checks: ReadinessChecks) {
    super(`Not ready: ${failures.join('; ')}`);
    this.details = { checks };
  }
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseHealth,
    private readonly readiness: ReadinessService,
    private readonly startup: StartupState,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, 503 otherwise' })
  @ApiOkResponse({ schema: { example: { status: 'ok', database: 'up' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    if (!(await this.database.ping())) throw new ServiceUnavailableException('The database does not answer');
    return { status: 'ok', database: 'up' };
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process serves requests (no database work)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness for a load balancer: the database answers, every migration is applied, Redis answers (when REDIS_URL is set)',
    description: 'Checks every dependency on each call, each within 2 s (a hung database gives 503, not a hung probe).',
  })
  @ApiOkResponse({ type: ReadyView })
  @ApiServiceUnavailableResponse({
    description: 'A dependency failed: the error body (`code` `not_ready`) with `checks`, the state of each dependency',
  })
  async ready(): Promise<ReadyView> {
    const { ready, checks, failures } = await this.readiness.check();
    if (!ready) throw new NotReadyException(failures, checks);
    return { status: 'ok', checks };
  }

  @Get('started')
  @ApiOperation({
    summary: 'Start-up probe: 200 once start-up has finished (migrations run, keys loaded, first administrator created)',
  })
  @ApiOkResponse({ type: StartedView })
  @ApiServiceUnavailableResponse({ description: 'Still starting' })
  started(): StartedView {
    if (!this.startup.started) throw new ServiceUnavailableException('Still starting');
    return { status: 'ok' };
  }
}
