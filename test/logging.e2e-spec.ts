import { ServerProcess, startGatehouseProcess } from './support/server-process';
import { describeOnce } from './support/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a person sees at start: readable lines on request (LOG_FORMAT=pretty), JSON lines otherwise, and the banner. */
describeOnce('Start-up logs', () => {
  let pretty: ServerProcess & { dataDir: string; stop(): Promise<void> };
  let json: ServerProcess & { dataDir: string; stop(): Promise<void> };
  const credentials = Buffer.from('nobody:a-password-never-logged').toString('base64');

  beforeAll(async () => {
    // Without ADMIN_PASSWORD the first administrator's password is generated into DATA_DIR.
    [pretty, json] = await Promise.all([
      startGatehouseProcess({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'info', ADMIN_PASSWORD: '' }),
      startGatehouseProcess({ LOG_LEVEL: 'info' }),
    ]);
    for (const server of [pretty, json]) {
      await fetch(`${server.url}/authenticate/login`, { method: 'POST', headers: { Authorization: `Basic ${credentials}` } });
    }
    await sleep(1500); // JSON lines are flushed at least every second
  }, 120_000);
  afterAll(async () => {
    await pretty?.stop();
    await json?.stop();
  }, 60_000);

  it('prints readable lines with LOG_FORMAT=pretty, and the banner: URL, Swagger UI, database, signing, admin password file', () => {
    const out = pretty.output();
    expect(out).toMatch(
      /\[\d\d:\d\d:\d\d\] INFO: \[Gatehouse\] Listening on http:\/\/127\.0\.0\.1:\d+ \(Swagger UI: http:\/\/127\.0\.0\.1:\d+\/docs\)/,
    );
    expect(out).toContain(`[Gatehouse] Database: SQLite ${pretty.dataDir}/gatehouse.sqlite`);
    expect(out).toContain(`[Gatehouse] Signing: HS512 with a generated secret in ${pretty.dataDir}/jwt-secret`);
    expect(out).toContain(`generated password is in ${pretty.dataDir}/initial-admin-password`);
    expect(out.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
    // The request line is there, readable, and without the credentials.
    expect(out).toMatch(/WARN: request completed POST \/authenticate\/login 401 \d+ms \(id [0-9a-f-]{36}\)\n/);
    expect(out).not.toContain(credentials);
    expect(out).not.toContain('a-password-never-logged');
  });

  it('writes JSON lines when stdout is not a terminal (production), with the same banner', () => {
    const lines = json
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const entries = lines.map((line) => JSON.parse(line) as { msg?: string });
    expect(entries.map((entry) => entry.msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^Database: SQLite /)]));
    expect(json.output()).not.toContain(credentials);
    // ADMIN_PASSWORD was given: no password file, no line about it.
    expect(json.output()).not.toContain('initial-admin-password');
  });
});
