import { TestApp, createTestApp } from '../support/test-app';
import { basic, createUser, expectErrorBody } from '../support/auth-helpers';
import { describeE2E } from '../support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('Brute-force defence', () => {
  describe('per username', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCK_SECONDS: '1', LOGIN_LOCK_MAX_SECONDS: '4', LOGIN_IP_MAX_FAILURES: '1000' });
    });
    afterAll(() => t.close());

    const attempt = (username: string, password: string) => t.http().post('/authenticate/login').set('Authorization', basic(username, password));

    it('locks a username after LOGIN_MAX_FAILURES failures, answering like a wrong password, then lets it in again', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 3; i++) expect((await attempt(user.username, 'wrong-password-x')).status).toBe(401);
      const locked = await attempt(user.username, user.password);
      expect(locked.status).toBe(401);
      expect(locked.body.message).toBe('Invalid username or password');
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
      for (let i = 0; i < 4; i++) {
        const res = await attempt('nobody-by-this-name', 'wrong-password-x');
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Invalid username or password');
      }
    });

    it('counts a wrong current password on password change as a failed login', async () => {
      const user = await createUser(t);
      const { access_token } = (await attempt(user.username, user.password)).body.token;
      for (let i = 0; i < 3; i++) {
        const res = await t.http().put('/api/v1/users/me/password').auth(access_token, { type: 'bearer' }).send({ currentPassword: 'guess-guess-guess', newPassword: 'a-new-password-123' });
        expect(res.status).toBe(401);
      }
      expect((await attempt(user.username, user.password)).status).toBe(401);
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
        expect((await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'admin-password-for-tests'))).status).toBe(200);
      }
      for (let i = 0; i < 4; i++) {
        // Spoofed X-Forwarded-For is ignored: the socket address is what counts without TRUST_PROXY.
        const res = await t.http().post('/authenticate/login').set('X-Forwarded-For', `10.0.0.${i}`).set('Authorization', basic(`someone${i}`, 'wrong-password-x'));
        expect(res.status).toBe(401);
      }
      const blocked = await t.http().post('/authenticate/login').set('Authorization', basic('admin', 'admin-password-for-tests'));
      expect(blocked.status).toBe(429);
      expectErrorBody(blocked.body, 429, '/authenticate/login');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
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
          const res = await t.http().post('/authenticate/login').set('X-Forwarded-For', client).set('Authorization', basic('x-user', 'wrong-password-x'));
          expect(res.status).toBe(401);
        }
      }
      const blocked = await t.http().post('/authenticate/login').set('X-Forwarded-For', '203.0.113.1').set('Authorization', basic('x-user', 'wrong-password-x'));
      expect(blocked.status).toBe(429);
    });
  });
});
