import type { AppConfig } from '../config/app.config';
import {
  LOGIN_RESULTS,
  REFRESH_RESULTS,
  SESSION_REVOCATION_REASONS,
  TOKEN_VERIFICATION_RESULTS,
  UNMATCHED_ROUTE,
  methodLabel,
  routeLabel,
} from './metric-labels';
import { MetricsService } from './metrics.service';

const enabled = { metrics: { port: 9464, host: '127.0.0.1' } } as AppConfig;

describe('metric labels', () => {
  it('labels a request by the route template the router matched, never by its URL', () => {
    expect(routeLabel('/api/v1/users/:id')).toBe('/api/v1/users/:id');
    expect(routeLabel('/api/v1/users/:id/sessions/:sessionId')).toBe('/api/v1/users/:id/sessions/:sessionId');
  });

  it('groups every request no route matched under one value', () => {
    expect(routeLabel(undefined)).toBe(UNMATCHED_ROUTE);
    expect(routeLabel('')).toBe(UNMATCHED_ROUTE);
  });

  it('keeps the standard methods and folds any other token a client sends into OTHER', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(methodLabel(method)).toBe(method);
    expect(methodLabel('PROPFIND')).toBe('OTHER');
    expect(methodLabel('X-ada-1234')).toBe('OTHER');
  });

  it('has the result sets the docs list, with no duplicates', () => {
    expect(LOGIN_RESULTS).toEqual(['success', 'wrong_password', 'unknown_user', 'disabled', 'locked', 'ip_blocked', 'mfa_required']);
    expect(REFRESH_RESULTS).toEqual(['rotated', 'grace', 'reuse_detected', 'expired', 'revoked', 'invalid']);
    expect(TOKEN_VERIFICATION_RESULTS).toEqual(['valid', 'invalid', 'revoked', 'error']);
    for (const set of [LOGIN_RESULTS, REFRESH_RESULTS, TOKEN_VERIFICATION_RESULTS, SESSION_REVOCATION_REASONS]) {
      expect(new Set(set).size).toBe(set.length);
    }
  });
});

describe(MetricsService.name, () => {
  it('exposes every result of every counter from the start, at 0 (rate() works before the first event)', async () => {
    const text = await new MetricsService(enabled).registry.metrics();
    for (const result of LOGIN_RESULTS) expect(text).toContain(`gatehouse_logins_total{result="${result}"} 0`);
    for (const result of REFRESH_RESULTS) expect(text).toContain(`gatehouse_refresh_total{result="${result}"} 0`);
    for (const reason of SESSION_REVOCATION_REASONS) expect(text).toContain(`gatehouse_sessions_revoked_total{reason="${reason}"} 0`);
    expect(text).toContain('gatehouse_token_verifications_total{result="valid",cache="hit"} 0');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('counts what the modules record', async () => {
    const metrics = new MetricsService(enabled);
    metrics.login('wrong_password');
    metrics.login('wrong_password');
    metrics.tokenVerification('valid', 'hit');
    metrics.sessionsRevoked('user_disabled', 3);
    metrics.sessionsRevoked('logout', 0);
    metrics.passwordHashWaited(0.02);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_logins_total{result="wrong_password"} 2');
    expect(text).toContain('gatehouse_token_verifications_total{result="valid",cache="hit"} 1');
    expect(text).toContain('gatehouse_sessions_revoked_total{reason="user_disabled"} 3');
    expect(text).toContain('gatehouse_sessions_revoked_total{reason="logout"} 0');
    expect(text).toContain('gatehouse_password_hash_wait_seconds_bucket{le="0.025"} 1');
  });

  it('exports a histogram series with cumulative buckets, +Inf, sum and count', async () => {
    const metrics = new MetricsService(enabled);
    const series = metrics.httpSeries('/api/v1/users/:id', 'GET', '200');
    expect(metrics.httpSeries('/api/v1/users/:id', 'GET', '200')).toBe(series);
    series.observe(0.003);
    series.observe(0.004);
    series.observe(30);
    const text = await metrics.registry.metrics();
    const line = (le: string) =>
      `gatehouse_http_request_duration_seconds_bucket{route="/api/v1/users/:id",method="GET",status="200",le="${le}"}`;
    expect(text).toContain(`${line('0.0025')} 0\n`);
    expect(text).toContain(`${line('0.005')} 2\n`);
    expect(text).toContain(`${line('10')} 2\n`);
    expect(text).toContain(`${line('+Inf')} 3\n`);
    expect(text).toContain('gatehouse_http_request_duration_seconds_sum{route="/api/v1/users/:id",method="GET",status="200"} 30.007');
    expect(text).toContain('gatehouse_http_request_duration_seconds_count{route="/api/v1/users/:id",method="GET",status="200"} 3');
    expect(text).toContain('# TYPE gatehouse_http_request_duration_seconds histogram');
  });

  it('reads the registered gauges when scraped, and leaves out those nobody registered', async () => {
    const metrics = new MetricsService(enabled);
    let cached = 3;
    let redisReady = true;
    metrics.observe('sessionCache', () => cached);
    metrics.observeRedis('throttle', () => redisReady);
    expect(await metrics.registry.metrics()).toContain('gatehouse_session_cache_entries 3');
    cached = 7;
    redisReady = false;
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_session_cache_entries 7');
    expect(text).toContain('gatehouse_redis_up{connection="throttle"} 0');
    expect(text).not.toContain('gatehouse_database_pool_in_use');
  });

  it('records nothing and collects nothing with METRICS_PORT unset', async () => {
    const metrics = new MetricsService({} as AppConfig);
    expect(metrics.enabled).toBe(false);
    metrics.login('success');
    metrics.observe('sessionCache', () => 1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_logins_total{result="success"} 0');
    expect(text).not.toContain('gatehouse_session_cache_entries');
    expect(text).not.toContain('process_cpu_seconds_total');
  });

  it('keeps its own registry: two instances in one process do not collide', async () => {
    const one = new MetricsService(enabled);
    const two = new MetricsService(enabled);
    one.login('success');
    expect(await two.registry.metrics()).toContain('gatehouse_logins_total{result="success"} 0');
  });
});
