import pino from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from './logging';

describe('log redaction', () => {
  it('never writes tokens, cookies or passwords', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info({
      req: { headers: { authorization: 'Bearer eyJhbGciOiJIUzUxMiJ9.secret.sig', cookie: 'gatehouse_refresh=abc', 'user-agent': 'curl' } },
      res: { headers: { 'set-cookie': 'gatehouse_refresh=def' } },
      body: { password: 'hunter2-hunter2', refresh_token: 'r-token', access_token: 'a-token' },
    });
    const output = lines.join('');
    for (const secret of ['eyJhbGciOiJIUzUxMiJ9', 'gatehouse_refresh=abc', 'gatehouse_refresh=def', 'hunter2', 'r-token', 'a-token']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted]');
    expect(output).toContain('curl');
  });
});
