import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { appConfig } from '../config/app.config';
import { CounterFamily, CounterSeries, HistogramFamily, HistogramSeries } from './instruments';
import {
  CACHE_RESULTS,
  CacheResult,
  LOGIN_RESULTS,
  LoginResult,
  REFRESH_RESULTS,
  RefreshResult,
  RedisConnection,
  SESSION_REVOCATION_REASONS,
  SessionRevocationReason,
  TOKEN_VERIFICATION_RESULTS,
  TokenVerificationResult,
} from './metric-labels';

/**
 * How often the event-loop delay monitor behind `nodejs_eventloop_lag_*` samples. prom-client's 10 ms
 * default wakes the process 100 times a second: measured, 9 ms of CPU per second on an idle server and
 * about a fifth more CPU per bearer request at a steady 1,500 requests/s on a busy machine. At 100 ms
 * the monitor costs nothing measurable and still records any stall long enough to matter (a blocked
 * loop delays the next sample by as long as it is blocked).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;
/** Values read when Prometheus scrapes (no work between scrapes), registered by the modules that own them. */
const SCRAPED_GAUGES = {
  passwordHashQueue: {
    name: 'gatehouse_password_hash_queue_length',
    help: 'Password hashes and verifications waiting for a slot (PASSWORD_HASH_CONCURRENCY run at once)',
  },
  sessionCache: {
    name: 'gatehouse_session_cache_entries',
    help: "Sessions whose check the bearer guard holds in memory (this instance's session cache)",
  },
  databasePoolInUse: {
    name: 'gatehouse_database_pool_in_use',
    help: 'PostgreSQL connections of the pool checked out by a query or transaction',
  },
  databasePoolWaiting: {
    name: 'gatehouse_database_pool_waiting',
    help: 'Queries waiting for a PostgreSQL connection of the pool',
  },
} as const;
export type ScrapedGauge = keyof typeof SCRAPED_GAUGES;

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A counter's series for each value of its one label, made once (and so exported at 0 from the start). */
function seriesOf<L extends string>(family: CounterFamily, label: string, values: readonly L[]): Record<L, CounterSeries> {
  return Object.fromEntries(values.map((value) => [value, family.series({ [label]: value })])) as Record<L, CounterSeries>;
}

/**
 * Gatehouse's Prometheus instruments, in a registry of its own (not prom-client's global one, so
 * two apps in one process — tests — or a host application do not collide). Modules record through
 * the methods below (one call per site) and register what is read on scrape; the HTTP histogram is
 * fed by HttpMetrics. With METRICS_PORT unset every method returns at once and nothing is collected.
 *
 * Label values are closed sets (metric-labels.ts): each series is made once (instruments.ts), so
 * recording is a property read and an addition — the bearer hot path pays nothing else.
 */
@Injectable()
export class MetricsService {
  readonly enabled: boolean;
  readonly registry = new Registry();
  private readonly httpDuration: HistogramFamily;
  private readonly logins: Record<LoginResult, CounterSeries>;
  private readonly refreshes: Record<RefreshResult, CounterSeries>;
  private readonly verifications: Record<CacheResult, Record<TokenVerificationResult, CounterSeries>>;
  private readonly revocations: Record<SessionRevocationReason, CounterSeries>;
  private readonly hashWait: HistogramSeries;
  private readonly redis = new Map<RedisConnection, () => boolean>();
  private redisGauge?: Gauge<'connection'>;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.enabled = config.metrics !== undefined;
    const registry = this.registry;
    this.httpDuration = new HistogramFamily(
      'gatehouse_http_request_duration_seconds',
      'HTTP requests on the public listener by route template, method and status, and how long they took',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    );
    this.logins = seriesOf(
      new CounterFamily('gatehouse_logins_total', 'Password logins by how they ended', registry),
      'result',
      LOGIN_RESULTS,
    );
    this.refreshes = seriesOf(
      new CounterFamily('gatehouse_refresh_total', 'Refresh-token exchanges by how they ended', registry),
      'result',
      REFRESH_RESULTS,
    );
    const verifications = new CounterFamily(
      'gatehouse_token_verifications_total',
      'Bearer tokens checked by the guard, by verdict and whether a cache answered (no signature check on a hit)',
      registry,
    );
    this.verifications = Object.fromEntries(
      CACHE_RESULTS.map((cache) => [
        cache,
        Object.fromEntries(TOKEN_VERIFICATION_RESULTS.map((result) => [result, verifications.series({ result, cache })])),
      ]),
    ) as MetricsService['verifications'];
    this.revocations = seriesOf(
      new CounterFamily('gatehouse_sessions_revoked_total', 'Sessions ended, by reason', registry),
      'reason',
      SESSION_REVOCATION_REASONS,
    );
    this.hashWait = new HistogramFamily(
      'gatehouse_password_hash_wait_seconds',
      'Time a password hash or verification waited for a slot before it started',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    ).series({});
    if (this.enabled) {
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      // Gauges named like counters fail `promtool check metrics`; their per-type siblings
      // (nodejs_active_handles{type}, …) stay, and sum() gives the same totals.
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  login(result: LoginResult): void {
    if (this.enabled) this.logins[result].inc();
  }

  refresh(result: RefreshResult): void {
    if (this.enabled) this.refreshes[result].inc();
  }

  tokenVerification(result: TokenVerificationResult, cache: CacheResult): void {
    if (this.enabled) this.verifications[cache][result].inc();
  }

  sessionsRevoked(reason: SessionRevocationReason, count = 1): void {
    if (this.enabled && count > 0) this.revocations[reason].inc(count);
  }

  passwordHashWaited(seconds: number): void {
    if (this.enabled) this.hashWait.observe(seconds);
  }

  /** The HTTP histogram's series of one (route, method, status); HttpMetrics keeps them. */
  httpSeries(route: string, method: string, status: string): HistogramSeries {
    return this.httpDuration.series({ route, method, status });
  }

  /** A gauge read when Prometheus scrapes. Not registered (e.g. the pool on SQLite): the metric is absent. */
  observe(gauge: ScrapedGauge, read: () => number): void {
    if (!this.enabled) return;
    new Gauge({
      ...SCRAPED_GAUGES[gauge],
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** `gatehouse_redis_up{connection}`: 1 while the connection is ready, read on scrape (only with REDIS_URL). */
  observeRedis(connection: RedisConnection, ready: () => boolean): void {
    if (!this.enabled) return;
    this.redis.set(connection, ready);
    const readers = this.redis;
    this.redisGauge ??= new Gauge({
      name: 'gatehouse_redis_up',
      help: 'Whether a Redis connection is ready (1) or not (0)',
      labelNames: ['connection'],
      registers: [this.registry],
      collect() {
        for (const [name, isReady] of readers) this.labels(name).set(isReady() ? 1 : 0);
      },
    });
  }
}
