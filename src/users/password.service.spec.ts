import { MetricsService } from '../metrics/metrics.service';
import { PasswordService, Semaphore } from './password.service';

describe(PasswordService.name, () => {
  const service = new PasswordService({ passwordHashConcurrency: 2 } as never, new MetricsService({} as never));

  beforeAll(() => service.onModuleInit());

  it('hashes with argon2id at the OWASP parameters (m=19456 KiB, t=2, p=1)', async () => {
    const hash = await service.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain('correct horse');
  });

  it('salts each hash', async () => {
    expect(await service.hash('same password')).not.toBe(await service.hash('same password'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await service.hash('correct horse battery staple');
    expect(await service.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await service.verify(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('runs at most PASSWORD_HASH_CONCURRENCY hashes at once, and all of them (Semaphore)', async () => {
    const slots = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const task = () =>
      slots.run(async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        return true;
      });
    expect(await Promise.all(Array.from({ length: 7 }, task))).toEqual(Array(7).fill(true));
    expect(peak).toBe(2);
  });

  it('answers false, without throwing, for a missing or corrupt hash', async () => {
    expect(await service.verify(null, 'anything')).toBe(false);
    expect(await service.verify(undefined, 'anything')).toBe(false);
    expect(await service.verify('not-a-phc-string', 'anything')).toBe(false);
  });
});
