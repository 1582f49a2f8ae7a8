import type { DatabaseHealth } from '../database/database-health';
import { ReadinessService } from './readiness.service';
import type { RedisHealth } from './redis-health';

function service(database: Partial<DatabaseHealth>, redis?: () => Promise<void>): ReadinessService {
  const redisHealth = { configured: redis !== undefined, ping: redis ?? (() => Promise.reject(new Error('not set'))) };
  return new ReadinessService(database as DatabaseHealth, redisHealth as unknown as RedisHealth);
}

const up = { ping: () => Promise.resolve(true), pendingMigrations: () => Promise.resolve([]) };

describe(ReadinessService.name, () => {
  it('is ready when the database answers, no migration is pending and Redis is not configured', async () => {
    await expect(service(up).check()).resolves.toEqual({
      ready: true,
      checks: { database: 'up', migrations: 'up', redis: 'disabled' },
      failures: [],
    });
  });

  it('names pending migrations by count', async () => {
    const result = await service({ ...up, pendingMigrations: () => Promise.resolve(['AddA1', 'AddB2']) }).check();
    expect(result).toEqual({
      ready: false,
      checks: { database: 'up', migrations: 'pending', redis: 'disabled' },
      failures: ['2 migrations pending'],
    });
  });

  it('says the migrations are not applied when the database answers but has no migrations table', async () => {
    const result = await service({ ...up, pendingMigrations: () => Promise.reject(new Error('no such table: migrations')) }).check();
    expect(result.checks.migrations).toBe('pending');
    expect(result.failures).toEqual(['migrations not applied']);
  });

  it('reports the migrations as unknown, not pending, while the database is down', async () => {
    const result = await service({
      ping: () => Promise.resolve(false),
      pendingMigrations: () => Promise.reject(new Error('down')),
    }).check();
    expect(result).toEqual({
      ready: false,
      checks: { database: 'down', migrations: 'unknown', redis: 'disabled' },
      failures: ['database down'],
    });
  });

  it('checks Redis when configured', async () => {
    await expect(service(up, () => Promise.resolve()).check()).resolves.toMatchObject({ ready: true, checks: { redis: 'up' } });
    await expect(service(up, () => Promise.reject(new Error('ECONNREFUSED'))).check()).resolves.toMatchObject({
      ready: false,
      checks: { redis: 'down' },
      failures: ['redis down'],
    });
  });

  it('checks again on every call (nothing cached)', async () => {
    let databaseUp = true;
    const readiness = service({ ...up, ping: () => Promise.resolve(databaseUp) });
    expect((await readiness.check()).ready).toBe(true);
    databaseUp = false;
    expect((await readiness.check()).ready).toBe(false);
    databaseUp = true;
    expect((await readiness.check()).ready).toBe(true);
  });
});
