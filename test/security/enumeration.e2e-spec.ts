import { TestApp, createTestApp } from '../support/test-app';
import { basic, createUser } from '../support/auth-helpers';
import { describeE2E } from '../support/test-database';

const SAMPLES = 15;
/** A busy machine (CI runs suites in parallel) can tip one measurement; a real leak (~20×) shows in every one. */
const ATTEMPTS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

describeE2E('No user enumeration', () => {
  let t: TestApp;
  const cases: Record<string, () => { username: string; password: string }> = {};

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_IP_MAX_FAILURES: '100000' });
    // A fresh account per wrong-password and disabled sample, so none of them gets locked.
    const wrong = await Promise.all(Array.from({ length: ATTEMPTS * (SAMPLES + 1) }, () => createUser(t)));
    const disabled = await Promise.all(Array.from({ length: ATTEMPTS * (SAMPLES + 1) }, () => createUser(t, { enabled: false })));
    const locked = await createUser(t);
    for (let i = 0; i < 3; i++) await t.http().post('/authenticate/login').set('Authorization', basic(locked.username, 'wrong-password-x'));
    let n = 0;
    let u = 0;
    let d = 0;
    cases['wrong password'] = () => ({ username: wrong[n++].username, password: 'wrong-password-x' });
    cases['unknown user'] = () => ({ username: `ghost-${u++}`, password: 'wrong-password-x' });
    cases['disabled user'] = () => ({ username: disabled[d].username, password: disabled[d++].password });
    cases['locked user'] = () => ({ username: locked.username, password: locked.password });
  }, 120_000);
  afterAll(() => t.close());

  it('gives the same status, message and headers, and the same response time within noise', async () => {
    const measure = async (): Promise<Record<string, number>> => {
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
      // Warm-up, then round-robin so that machine noise falls on every case alike.
      for (const next of Object.values(cases)) {
        const { username, password } = next();
        await t.http().post('/authenticate/login').set('Authorization', basic(username, password));
      }
      for (let i = 0; i < SAMPLES; i++) {
        for (const [name, next] of Object.entries(cases)) {
          const { username, password } = next();
          const started = process.hrtime.bigint();
          const res = await t.http().post('/authenticate/login').set('Authorization', basic(username, password));
          times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
          expect({ name, status: res.status, message: res.body.message, challenge: res.headers['www-authenticate'] }).toEqual({
            name,
            status: 401,
            message: 'Invalid username or password',
            challenge: 'Basic realm="gatehouse", charset="UTF-8"',
          });
        }
      }
      const medians = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
      process.stdout.write(
        `login failure medians (ms): ${JSON.stringify(medians, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}\n`,
      );
      return medians;
    };
    // Without the dummy hash an unknown user answers ~20× faster; noise stays within ±20 % of the wrong-password median.
    const withinNoise = (medians: Record<string, number>) =>
      Object.values(medians).every((value) => Math.abs(value / medians['wrong password'] - 1) < 0.2);
    let medians = await measure();
    for (let attempt = 1; attempt < ATTEMPTS && !withinNoise(medians); attempt++) medians = await measure();
    const reference = medians['wrong password'];
    for (const [name, value] of Object.entries(medians)) {
      expect({ name, ratio: value / reference }).toEqual({ name, ratio: expect.closeTo(1, 0.4) as unknown as number });
    }
  }, 120_000);
});
