import { Secret, TOTP } from 'otpauth';
import { ADMIN, TestApp, createTestApp } from './support/test-app';
import { startGatehouseProcess } from './support/server-process';
import { adminToken, auditEvents, basic, createUser, decodeJwt, login, signWithServerKey } from './support/auth-helpers';
import { TestSmtp, startSmtp } from './support/smtp';
import { describeE2E } from './support/test-database';

const FORGOT_ANSWER = { message: 'If an account matches and has a verified e-mail address, a link to reset its password is on its way' };

function totpCode(secret: string, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeE2E('Password reset and e-mail verification (real SMTP)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let admin: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Gatehouse <auth@example.org>',
      MAIL_RETRY_DELAY_MS: '100',
      PUBLIC_URL: 'https://auth.example.org',
      PASSWORD_RESET_IP_RATE_LIMIT: '10000',
    });
    admin = await adminToken(t);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const forgot = (body: Record<string, unknown>) => t.http().post('/authenticate/password/forgot').send(body);
  const reset = (body: Record<string, unknown>) => t.http().post('/authenticate/password/reset').send(body);
  let serial = 0;
  const address = () => `person${++serial}-${Date.now()}@example.org`;

  /** A user whose address is verified through the link mailed to them. */
  async function verifiedUser(
    options: { locale?: string } = {},
  ): Promise<{ id: string; username: string; password: string; email: string }> {
    const email = address();
    const since = smtp.messages.length;
    const user = await createUser(t);
    const set = await t
      .http()
      .patch(`/api/v1/users/${user.id}`)
      .set(bearer(admin))
      .send({ email, ...(options.locale ? { locale: options.locale } : {}) });
    expect(set.status).toBe(200);
    expect(set.body.emailVerified).toBe(false);
    const mail = await smtp.waitFor(email, { since, subject: /confirm/i });
    expect(
      (
        await t
          .http()
          .post('/authenticate/email/verify')
          .send({ token: smtp.tokenIn(mail) })
      ).status,
    ).toBe(204);
    return { ...user, email };
  }

  async function resetToken(username: string, email: string): Promise<string> {
    const since = smtp.messages.length;
    const res = await forgot({ username });
    expect(res.status).toBe(202);
    return smtp.tokenIn(await smtp.waitFor(email, { since, subject: /reset/i }));
  }

  describe('e-mail verification', () => {
    it('mails a link when a user is created with an address; the address is unverified until it is opened, once', async () => {
      const email = address();
      const since = smtp.messages.length;
      const created = await t
        .http()
        .post('/api/v1/users')
        .set(bearer(admin))
        .send({ username: `v${serial}-${Date.now()}`, password: 'a-long-enough-password-1', email });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ email, emailVerified: false });
      const mail = await smtp.waitFor(email, { since });
      expect(mail.subject).toBe('Confirm your e-mail address');
      expect(mail.text).toContain(`https://auth.example.org/verify-email?token=`);
      expect(mail.html).toContain('<a href="https://auth.example.org/verify-email?token=');
      const token = smtp.tokenIn(mail);
      expect((await t.http().post('/authenticate/email/verify').send({ token })).status).toBe(204);
      expect((await t.http().get(`/api/v1/users/${created.body.id}`).set(bearer(admin))).body.emailVerified).toBe(true);
      const again = await t.http().post('/authenticate/email/verify').send({ token });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_link');
      expect((await auditEvents(t, 'email.verified')).some((event) => event.userId === created.body.id)).toBe(true);
    });

    it('a changed address is unverified again, and the old link no longer verifies anything', async () => {
      const user = await createUser(t);
      const { access_token: token } = await login(t, user.username, user.password);
      const first = address();
      let since = smtp.messages.length;
      await t.http().patch('/api/v1/users/me').set(bearer(token)).send({ email: first });
      const oldLink = smtp.tokenIn(await smtp.waitFor(first, { since }));
      const second = address();
      since = smtp.messages.length;
      const changed = await t.http().patch('/api/v1/users/me').set(bearer(token)).send({ email: second });
      expect(changed.body).toMatchObject({ email: second, emailVerified: false });
      const newLink = smtp.tokenIn(await smtp.waitFor(second, { since }));
      expect((await t.http().post('/authenticate/email/verify').send({ token: oldLink })).status).toBe(400);
      expect((await t.http().post('/authenticate/email/verify').send({ token: newLink })).status).toBe(204);
      // Users cannot mark themselves verified.
      expect((await t.http().patch('/api/v1/users/me').set(bearer(token)).send({ emailVerified: true })).status).toBe(400);
    });

    it('changing one’s own address needs a recent login, and tells the verified address it replaces', async () => {
      const user = await verifiedUser();
      const { access_token: token } = await login(t, user.username, user.password);
      const { iat: _iat, exp: _exp, ...claims } = decodeJwt(token).payload;
      const stale = signWithServerKey(t, { ...claims, auth_time: Math.floor(Date.now() / 1000) - 600 });
      const refused = await t.http().patch('/api/v1/users/me').set(bearer(stale)).send({ email: address() });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication', max_age: 300 });
      // Names need no recent login.
      expect((await t.http().patch('/api/v1/users/me').set(bearer(stale)).send({ firstName: 'Ada' })).status).toBe(200);
      const since = smtp.messages.length;
      const next = address();
      expect((await t.http().patch('/api/v1/users/me').set(bearer(token)).send({ email: next })).status).toBe(200);
      const notice = await smtp.waitFor(user.email, { since, subject: /changed/i });
      expect(notice.text).toContain(next);
    });

    it('administrators can mark an address verified (audited)', async () => {
      const user = await createUser(t);
      await t.http().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ email: address() });
      const res = await t.http().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ emailVerified: true });
      expect(res.body.emailVerified).toBe(true);
      const [event] = (await auditEvents(t, 'email.verified')).filter((e) => e.userId === user.id);
      expect(event.details).toMatchObject({ by: 'administrator' });
    });

    it('mails in the user’s language when locale is set', async () => {
      const email = address();
      const since = smtp.messages.length;
      const user = await createUser(t);
      await t.http().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ email, locale: 'de-AT' });
      const mail = await smtp.waitFor(email, { since });
      expect(mail.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse');
    });
  });

  describe('password reset', () => {
    it('mails a link to the verified address; the link sets a new password once, ends every session and is audited', async () => {
      const user = await verifiedUser();
      const session = await login(t, user.username, user.password);
      const since = smtp.messages.length;
      const res = await forgot({ username: user.username });
      expect(res.status).toBe(202);
      expect(res.body).toEqual(FORGOT_ANSWER);
      const mail = await smtp.waitFor(user.email, { since });
      expect(mail.subject).toBe('Reset your password');
      expect(mail.text).toContain('https://auth.example.org/reset-password?token=');
      expect(mail.text).toContain('30 minutes');
      const token = smtp.tokenIn(mail);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const done = await reset({ token, newPassword: 'a-brand-new-password-2' });
      expect(done.status).toBe(204);
      expect((await t.http().get('/authenticate/me').set(bearer(session.access_token))).status).toBe(401);
      expect((await t.http().post('/authenticate/refresh').send({ refresh_token: session.refresh_token })).status).toBe(401);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'a-brand-new-password-2'))).status).toBe(
        200,
      );
      const reused = await reset({ token, newPassword: 'yet-another-password-3' });
      expect(reused.status).toBe(400);
      expect(reused.body.error).toBe('invalid_link');
      expect((await auditEvents(t, 'password.reset_requested')).some((event) => event.userId === user.id)).toBe(true);
      const [event] = (await auditEvents(t, 'password.reset')).filter((e) => e.userId === user.id);
      expect(event.details).toMatchObject({ via: 'reset link' });
      // The token never reaches the audit log.
      expect(JSON.stringify(await auditEvents(t, 'password.reset_requested'))).not.toContain(token);
    });

    it('works by verified address too, never by an unverified one', async () => {
      const user = await verifiedUser();
      let since = smtp.messages.length;
      expect((await forgot({ email: user.email.toUpperCase() })).status).toBe(202);
      await smtp.waitFor(user.email, { since, subject: /reset/i });
      const unverified = await createUser(t);
      const email = address();
      await t.http().patch(`/api/v1/users/${unverified.id}`).set(bearer(admin)).send({ email });
      await smtp.waitFor(email);
      since = smtp.messages.length;
      expect((await forgot({ email })).status).toBe(202);
      expect((await forgot({ username: unverified.username })).status).toBe(202);
      await sleep(700);
      expect(smtp.messages.slice(since).filter((m) => m.to === email)).toHaveLength(0);
    });

    it('takes the field it is given: a username with an @ is a username', async () => {
      const email = address();
      const username = `ann@home-${Date.now()}`;
      const created = await t
        .http()
        .post('/api/v1/users')
        .set(bearer(admin))
        .send({ username, password: 'a-long-enough-password-1', email });
      await t.http().patch(`/api/v1/users/${created.body.id}`).set(bearer(admin)).send({ emailVerified: true });
      const since = smtp.messages.length;
      expect((await forgot({ username })).status).toBe(202);
      await smtp.waitFor(email, { since, subject: /reset/i });
    });

    it('applies the password policy before anything is spent', async () => {
      const user = await verifiedUser();
      const token = await resetToken(user.username, user.email);
      const weak = await reset({ token, newPassword: 'short' });
      expect(weak.status).toBe(400);
      expect((await reset({ token, newPassword: 'a-fine-new-password-4' })).status).toBe(204);
    });

    it('refuses an expired link, and one overtaken by a password change', async () => {
      const user = await verifiedUser();
      const expired = await resetToken(user.username, user.email);
      const pg = t.databaseUrl.startsWith('postgres');
      await t
        .dataSource()
        .query(
          `UPDATE account_tokens SET expires_at = ${pg ? "now() - interval '1 second'" : "'2000-01-01 00:00:00.000'"} WHERE user_id = '${user.id}' AND kind = 'password_reset'`,
        );
      expect((await reset({ token: expired, newPassword: 'a-fine-new-password-5' })).body.error).toBe('invalid_link');
      const overtaken = await resetToken(user.username, user.email);
      const { access_token: token } = await login(t, user.username, user.password);
      expect(
        (
          await t
            .http()
            .put('/api/v1/users/me/password')
            .set(bearer(token))
            .send({ currentPassword: user.password, newPassword: 'changed-by-the-owner-6' })
        ).status,
      ).toBe(204);
      expect((await reset({ token: overtaken, newPassword: 'a-fine-new-password-7' })).body.error).toBe('invalid_link');
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'changed-by-the-owner-6'))).status).toBe(
        200,
      );
    });

    it('a link changes only its own user’s password, and takes no other account’s name', async () => {
      const alice = await verifiedUser();
      const bob = await verifiedUser();
      const token = await resetToken(alice.username, alice.email);
      expect((await reset({ token, newPassword: 'a-fine-new-password-8', username: bob.username })).status).toBe(400);
      expect((await reset({ token, newPassword: 'a-fine-new-password-8' })).status).toBe(204);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(bob.username, bob.password))).status).toBe(200);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(alice.username, 'a-fine-new-password-8'))).status).toBe(
        200,
      );
    });

    it('clears the login lock of the username', async () => {
      const user = await verifiedUser();
      for (let i = 0; i < 6; i++) await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'wrong-password'));
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, user.password))).status).toBe(401);
      const token = await resetToken(user.username, user.email);
      expect((await reset({ token, newPassword: 'a-fine-new-password-9' })).status).toBe(204);
      expect((await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'a-fine-new-password-9'))).status).toBe(
        200,
      );
    });

    it('needs the second factor of a user with MFA: a link alone never bypasses it', async () => {
      const user = await verifiedUser();
      const { access_token: token } = await login(t, user.username, user.password);
      const started = await t.http().post('/api/v1/users/me/mfa/totp').set(bearer(token));
      await t
        .http()
        .post('/api/v1/users/me/mfa/totp/confirm')
        .set(bearer(token))
        .send({ code: totpCode(started.body.secret) });
      const link = await resetToken(user.username, user.email);
      const without = await reset({ token: link, newPassword: 'a-fine-new-password-10' });
      expect(without.status).toBe(401);
      expect(without.body).toMatchObject({ error: 'mfa_required', methods: ['totp', 'recovery_code'] });
      const wrong = await reset({ token: link, newPassword: 'a-fine-new-password-10', totp: totpCode(started.body.secret, 5) });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_second_factor');
      const done = await reset({ token: link, newPassword: 'a-fine-new-password-10', totp: totpCode(started.body.secret, 1) });
      expect(done.status).toBe(204);
      // The factor stays: the next login still asks for it.
      const next = await t.http().post('/authenticate/login').set('Authorization', basic(user.username, 'a-fine-new-password-10'));
      expect(next.body.error).toBe('mfa_required');
    });

    it('limits requests per name: a burst gets at most PASSWORD_RESET_RATE_LIMIT (3) answers, the rest 429 with Retry-After', async () => {
      const name = `nobody-${Date.now()}`;
      const results = await Promise.all(Array.from({ length: 8 }, () => forgot({ username: name })));
      expect(results.filter((res) => res.status === 202)).toHaveLength(3);
      const limited = results.filter((res) => res.status === 429);
      expect(limited).toHaveLength(5);
      expect(Number(limited[0].headers['retry-after'])).toBeGreaterThan(0);
      expect(limited[0].body.message).toMatch(/too many/i);
    });

    it('answers 202 even when the SMTP server refuses, and retries until the message goes', async () => {
      const user = await verifiedUser();
      const since = smtp.messages.length;
      const refusedBefore = smtp.refused;
      smtp.refuseNext(2);
      expect((await forgot({ username: user.username })).status).toBe(202);
      await smtp.waitFor(user.email, { since, subject: /reset/i });
      expect(smtp.refused - refusedBefore).toBe(2);
    });

    it('answers 202 when the message cannot be sent at all; the failure is audited', async () => {
      const user = await verifiedUser();
      smtp.refuseNext(3);
      expect((await forgot({ username: user.username })).status).toBe(202);
      for (let i = 0; i < 100 && !(await auditEvents(t, 'mail.failed')).some((e) => e.userId === user.id); i++) await sleep(50);
      const [failed] = (await auditEvents(t, 'mail.failed')).filter((e) => e.userId === user.id);
      expect(failed.details).toMatchObject({ template: 'password-reset' });
    });

    it('refuses bodies with neither or both of username and email', async () => {
      expect((await forgot({})).status).toBe(400);
      expect((await forgot({ username: 'a', email: 'a@example.org' })).status).toBe(400);
      expect((await forgot({ username: 'a', extra: 1 })).status).toBe(400);
    });
  });
});

describeE2E('Password reset: no enumeration (a real server process)', () => {
  let server: Awaited<ReturnType<typeof startGatehouseProcess>>;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    // Its own process: timed from outside, the work done after the answer cannot land on the client's clock.
    server = await startGatehouseProcess({ SMTP_URL: smtp.url, PASSWORD_RESET_RATE_LIMIT: '1000', PASSWORD_RESET_IP_RATE_LIMIT: '100000' });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  /** SQL against the server's database (to make a federated-only user, which has no password). */
  async function sql(statement: string): Promise<void> {
    if (server.databaseUrl.startsWith('postgres')) {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: server.databaseUrl });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    } else {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(server.databaseUrl.replace(/^sqlite:/, ''));
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
    }
  }

  it('answers an existing, an unknown, a disabled and a federated-only account identically (status, body, median time within ±15 %)', async () => {
    const call = (path: string, init: { method?: string; body?: unknown; token?: string; basic?: string } = {}) =>
      fetch(`${server.url}${path}`, {
        method: init.method ?? 'POST',
        headers: {
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.basic ? { authorization: init.basic } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const admin = (
      (await (await call('/authenticate/login', { basic: basic(ADMIN.username, ADMIN.password) })).json()) as {
        token: { access_token: string };
      }
    ).token.access_token;
    const make = async (name: string, extra: Record<string, unknown> = {}) => {
      const created = await call('/api/v1/users', {
        token: admin,
        body: { username: name, password: 'a-long-enough-password-1', email: `${name}@example.org` },
      });
      const { id } = (await created.json()) as { id: string };
      await call(`/api/v1/users/${id}`, { method: 'PATCH', token: admin, body: { emailVerified: true, ...extra } });
      return id;
    };
    await make('existing');
    await make('disabled', { enabled: false });
    const federated = await make('federated');
    await sql(`UPDATE users SET password_hash = NULL, identity_provider = 'test', system_id = 'f-1' WHERE id = '${federated}'`);
    const kinds = ['existing', 'unknown', 'disabled', 'federated'];
    const times: Record<string, number[]> = Object.fromEntries(kinds.map((kind) => [kind, []]));
    const bodies = new Set<string>();
    for (let round = 0; round < 41; round++) {
      for (const kind of round % 2 ? kinds : [...kinds].reverse()) {
        const started = process.hrtime.bigint();
        const res = await call('/authenticate/password/forgot', { body: { username: kind } });
        const body = await res.text();
        times[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(res.status).toBe(202);
        bodies.add(body);
        await sleep(10);
      }
    }
    expect(bodies.size).toBe(1);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const medians = Object.fromEntries(Object.entries(times).map(([kind, values]) => [kind, median(values)]));
    console.log(`forgot-password medians (ms): ${JSON.stringify(medians)}`);
    const reference = median(Object.values(medians));
    for (const value of Object.values(medians)) expect(Math.abs(value - reference) / reference).toBeLessThanOrEqual(0.15);
    // Only the existing, enabled account with a password got links.
    await smtp.waitFor('existing@example.org', { subject: /reset/i });
    await sleep(300);
    expect(new Set(smtp.messages.filter((m) => /reset/i.test(m.subject)).map((m) => m.to))).toEqual(new Set(['existing@example.org']));
  });
});

describeE2E('E-mail flows without SMTP_URL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({});
  });
  afterAll(() => t.close());

  it('are off: their routes answer 404 saying mail is not configured; users are still created', async () => {
    for (const [path, body] of [
      ['/authenticate/password/forgot', { username: 'admin' }],
      ['/authenticate/password/reset', { token: 'x', newPassword: 'a-fine-new-password-11' }],
      ['/authenticate/email/verify', { token: 'x' }],
    ] as const) {
      const res = await t.http().post(path).send(body);
      expect(res.status).toBe(404);
      expect(res.body.message).toMatch(/e-mail is not configured/i);
    }
    const user = await createUser(t);
    expect(user.id).toBeDefined();
  });
});
