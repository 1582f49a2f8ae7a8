import { ADMIN, TestApp, createTestApp } from '../support/test-app';
import { auditEvents, basic, createUser, expectErrorBody } from '../support/auth-helpers';
import { describeE2E } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('Brute-force defence', () => {
  describe('per username', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        LOGIN_MAX_FAILURES: '3',
        LOGIN_LOCK_SECONDS: '1',
        LOGIN_LOCK_MAX_SECONDS: '4',
        LOGIN_IP_MAX_FAILURES: '1000',
      });
    });
    afterAll(() => t.close());

    const attempt = (username: string, password: string) =>
      t.http().post('/authenticate/login').set('Authorization', basic(username, password));

    it('locks a username after LOGIN_MAX_FAILURES failures, answering like a wrong password, then lets it in again', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 3; i++) expect((await attempt(user.username, 'wrong-password-x')).status).toBe(401);
      const locked = await attempt(user.username, user.password);
      expect(locked.status).toBe(401);
      expect(locked.body.message).toBe('Invalid username or password');
      expect(locked.body.code).toBe('invalid_credentials'); // exactly like a wrong password: no enumeration
      expect(locked.headers['www-authenticate']).toBe('Basic realm="gatehouse", charset="UTF-8"');
      expectErrorBody(locked.body, 401, '/authenticate/login');
      await sleep(1100);
      expect((await attempt(user.username, user.password)).status).toBe(200);
    });

    it('doubles the wait for each further lock (Keycloak-style)', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 3; i++) await attempt(user.username, 'wrong-password-x');
      await sleep(1100); // first lock: 1 s
      expect((await attempt(user.username, 'wrong-password-x')).status).toBe(401); // locks again: 2 s
      await sleep(1100);
      expect((await attempt(user.username, user.password)).status).toBe(401); // still locked
      await sleep(1000);
      expect((await attempt(user.username, user.password)).status).toBe(200);
    });

    it('forgets the failures after a successful login', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 2; i++) await attempt(user.username, 'wrong-password-x');
      expect((await attempt(user.username, user.password)).status).toBe(200);
      for (let i = 0; i < 2; i++) await attempt(user.username, 'wrong-password-x');
      expect((await attempt(user.username, user.password)).status).toBe(200);
    });

    it('locks unknown usernames the same way, so a lock reveals nothing', async () => {
      const name = `nobody-${Date.now()}`;
      for (let i = 0; i < 4; i++) {
        const res = await attempt(name, 'wrong-password-x');
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Invalid username or password');
      }
      // The lock did happen (it is audited), and the fourth attempt was refused by it.
      const events = await auditEvents(t, 'login.locked');
      expect(events.filter((event) => event.username === name)).toHaveLength(1);
      const failures = (await auditEvents(t, 'login.failure')).filter((event) => event.username === name);
      expect(failures.map((event) => event.details?.reason).sort()).toEqual(['locked', 'unknown user', 'unknown user', 'unknown user']);
    });

    it('verifies at most LOGIN_MAX_FAILURES of a burst of parallel guesses, then refuses the right password too', async () => {
      const user = await createUser(t);
      const burst = Array.from({ length: 24 }, () => attempt(user.username, 'wrong-password-x'));
      const right = attempt(user.username, user.password);
      const statuses = await Promise.all([...burst, right]);
      expect(statuses.map((res) => res.status)).toEqual(Array(25).fill(401));
      const failures = (await auditEvents(t, 'login.failure')).filter((event) => event.username === user.username);
      const verified = failures.filter((event) => event.details?.reason === 'wrong password');
      expect(verified).toHaveLength(3);
      expect(failures).toHaveLength(25);
      // One burst, one lock (of the first level: 1 s), not 22 doublings up to the maximum.
      const locks = (await auditEvents(t, 'login.locked')).filter((event) => event.userId === user.id);
      expect(locks.map((event) => event.details?.seconds)).toEqual([1]);
      await sleep(1100);
      expect((await attempt(user.username, user.password)).status).toBe(200);
    });

    it('lets parallel correct logins of one account all in', async () => {
      const user = await createUser(t);
      const results = await Promise.all(Array.from({ length: 12 }, () => attempt(user.username, user.password)));
      expect(results.map((res) => res.status)).toEqual(Array(12).fill(200));
    });

    it('counts a wrong current password on password change as a failed login', async () => {
      const user = await createUser(t);
      const { access_token } = (await attempt(user.username, user.password)).body.token;
      for (let i = 0; i < 3; i++) {
        const res = await t
          .http()
          .put('/api/v1/users/me/password')
          .auth(access_token, { type: 'bearer' })
          .send({ currentPassword: 'guess-guess-guess', newPassword: 'a-new-password-123' });
        expect(res.status).toBe(401);
      }
      expect((await attempt(user.username, user.password)).status).toBe(401);
    });

    it('checks the current password of a password change under the same lock, before verifying it', async () => {
      const user = await createUser(t);
      const { access_token } = (await attempt(user.username, user.password)).body.token;
      const change = (currentPassword: string) =>
        t
          .http()
          .put('/api/v1/users/me/password')
          .auth(access_token, { type: 'bearer' })
          .send({ currentPassword, newPassword: 'a-new-password-123' });
      const burst = await Promise.all(Array.from({ length: 10 }, () => change('guess-guess-guess')));
      expect(burst.map((res) => res.status)).toEqual(Array(10).fill(401));
      // Locked: the right current password is refused too, and the password is unchanged.
      const right = await change(user.password);
      expect(right.status).toBe(401);
      expect(right.headers['www-authenticate']).toBeUndefined();
      const failures = (await auditEvents(t, 'login.failure')).filter((event) => event.userId === user.id);
      expect(failures.filter((event) => event.details?.reason === 'wrong current password')).toHaveLength(3);
      expect(failures).toHaveLength(11);
      await sleep(1100);
      expect((await attempt(user.username, user.password)).status).toBe(200);
    });

    it('audits a new password the policy refuses, too', async () => {
      const user = await createUser(t);
      const { access_token } = (await attempt(user.username, user.password)).body.token;
      const res = await t
        .http()
        .put('/api/v1/users/me/password')
        .auth(access_token, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword: 'short' });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/newPassword must be at least 12 characters/);
      const refused = (await auditEvents(t, 'password.change_failed')).filter((event) => event.userId === user.id);
      expect(refused.map((event) => event.details?.reason)).toEqual(['password policy']);
    });

    it('answers "new equals current" the same whether the current password is right or not', async () => {
      const user = await createUser(t);
      const { access_token } = (await attempt(user.username, user.password)).body.token;
      const same = (password: string) =>
        t
          .http()
          .put('/api/v1/users/me/password')
          .auth(access_token, { type: 'bearer' })
          .send({ currentPassword: password, newPassword: password });
      const right = await same(user.password);
      const wrong = await same('not-the-password-1');
      expect([right.status, wrong.status]).toEqual([400, 400]);
      expect(right.body.message).toBe(wrong.body.message);
      const refused = (await auditEvents(t, 'password.change_failed')).filter((event) => event.userId === user.id);
      expect(refused).toHaveLength(2);
    });
  });

  describe('per client IP', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '4', LOGIN_IP_WINDOW: '60', LOGIN_MAX_FAILURES: '100' });
    });
    afterAll(() => t.close());

    it('does not count successful logins, then answers 429 with Retry-After past the failure limit', async () => {
      for (let i = 0; i < 8; i++) {
        expect((await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'admin-password-for-tests'))).status).toBe(
          200,
        );
      }
      for (let i = 0; i < 4; i++) {
        // Spoofed X-Forwarded-For is ignored: the socket address is what counts without TRUST_PROXY.
        const res = await t
          .http()
          .post('/authenticate/login')
          .set('X-Forwarded-For', `10.0.0.${i}`)
          .set('Authorization', basic(`someone${i}`, 'wrong-password-x'));
        expect(res.status).toBe(401);
      }
      const blocked = await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'admin-password-for-tests'));
      expect(blocked.status).toBe(429);
      expectErrorBody(blocked.body, 429, '/authenticate/login');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    });
  });

  describe('per client IP, under a burst', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '5', LOGIN_IP_WINDOW: '60', LOGIN_MAX_FAILURES: '1000' });
    });
    afterAll(() => t.close());

    it('verifies at most LOGIN_IP_MAX_FAILURES parallel guesses from one address, then answers 429 to the right password too', async () => {
      const burst = Array.from({ length: 24 }, (_, i) =>
        t
          .http()
          .post('/authenticate/login')
          .set('Authorization', basic(`guess-${i}`, 'wrong-password-x')),
      );
      const right = t.http().post('/authenticate/login').set('Authorization', basic(ADMIN.username, ADMIN.password));
      const results = await Promise.all([...burst, right]);
      expect(results.filter((res) => res.status === 401)).toHaveLength(5);
      expect(results.filter((res) => res.status === 429)).toHaveLength(20);
      expect(results[24].status).toBe(429);
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOGIN_IP_MAX_FAILURES: '2', LOGIN_MAX_FAILURES: '100', TRUST_PROXY: 'true' });
    });
    afterAll(() => t.close());

    it('counts failures per forwarded client address', async () => {
      for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        for (let i = 0; i < 2; i++) {
          const res = await t
            .http()
            .post('/authenticate/login')
            .set('X-Forwarded-For', client)
            .set('Authorization', basic('x-user', 'wrong-password-x'));
          expect(res.status).toBe(401);
        }
      }
      const blocked = await t
        .http()
        .post('/authenticate/login')
        .set('X-Forwarded-For', '203.0.113.1')
        .set('Authorization', basic('x-user', 'wrong-password-x'));
      expect(blocked.status).toBe(429);
    });
  });
});
