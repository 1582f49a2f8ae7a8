import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps what it receives, parsed
 * with `mailparser`. It can refuse the next messages (451, a temporary failure) to test retries.
 */
export interface TestSmtp {
  url: string;
  messages: ReceivedMail[];
  /** The next `count` messages get 451. */
  refuseNext(count: number): void;
  /** Messages that were refused so far. */
  refused: number;
  /** Waits for a message to `to` (after `since` messages) and returns it. */
  waitFor(to: string, options?: { since?: number; timeoutMs?: number; subject?: RegExp }): Promise<ReceivedMail>;
  /** The token in the first link of a message (`…?token=…`). */
  tokenIn(mail: ReceivedMail): string;
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  let refuse = 0;
  const state = { refused: 0 };
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (a self-signed certificate would only test nodemailer's TLS settings).
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse -= 1;
          state.refused += 1;
          const error = new Error('Try again later') as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (parsed: ParsedMail) => {
            const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
            messages.push({
              to: to?.value[0]?.address ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: String(parsed.html || ''),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext: (count) => void (refuse = count),
    get refused() {
      return state.refused;
    },
    async waitFor(to, { since = 0, timeoutMs = 10_000, subject } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.slice(since).find((m) => m.to.toLowerCase() === to.toLowerCase() && (!subject || subject.test(m.subject)));
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${messages.map((m) => m.to).join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    tokenIn(mail) {
      const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
      if (!match) throw new Error(`no token in: ${mail.text}`);
      return match[1];
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
