import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Transporter } from 'nodemailer';
import { AuditService } from '../audit/audit.service';
import { appConfig } from '../config/app.config';
import { MailTemplates, TemplateName } from './mail-templates';

export interface MailRequest {
  to: string;
  template: TemplateName;
  locale?: string | null;
  values: Record<string, string>;
  /** For the audit log when sending fails for good. */
  userId?: string;
}

const ATTEMPTS = 3;

/**
 * Outgoing e-mail through nodemailer (SMTP_URL). Sending happens after the request has answered and
 * is retried (3 attempts, the delay doubling from MAIL_RETRY_DELAY_MS); a message that cannot be sent
 * is logged and audited (`mail.failed`) — never an error for whoever asked. With MAIL_DEV_LOG (never
 * in production) messages go to the log instead. Nothing logged names the SMTP password.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  /** Created on the first message: nodemailer (~12 MB) loads only on servers that send mail. */
  private transport?: Promise<Transporter>;
  private readonly templates: MailTemplates;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly audit: AuditService,
  ) {
    this.templates = new MailTemplates(config.mail.templatesDir);
  }

  /** Whether e-mail flows are on: SMTP_URL, or MAIL_DEV_LOG in development. */
  get enabled(): boolean {
    return this.config.mail.smtpUrl !== undefined || this.config.mail.devLog;
  }

  /** Renders now (a broken template is the caller's error) and sends in the background. */
  enqueue(request: MailRequest): void {
    const message = { to: request.to, ...this.templates.render(request.template, request.locale, request.values) };
    const sending = this.deliver(message, request).finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Messages still being sent (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    (await this.transport)?.close();
  }

  private async deliver(message: { to: string; subject: string; text: string; html: string }, request: MailRequest): Promise<void> {
    const { smtpUrl, from } = this.config.mail;
    if (!smtpUrl) {
      // MAIL_DEV_LOG: the whole message, link included, for a developer without a mail server.
      // At warn, so that it shows at the levels developers run with.
      this.logger.warn(`MAIL_DEV_LOG: to ${message.to}: ${message.subject}\n${message.text}`);
      return;
    }
    this.transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({ url: smtpUrl, requireTLS: mustUpgrade(smtpUrl) }),
    );
    const transport = await this.transport;
    let delay = this.config.mail.retryDelayMs;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await transport.sendMail({ from, ...message });
        return;
      } catch (error) {
        const reason = describe(error);
        if (attempt === ATTEMPTS) {
          this.logger.error(`Sending "${request.template}" failed after ${ATTEMPTS} attempts: ${reason}`);
          await this.audit
            .record({ type: 'mail.failed', userId: request.userId, details: { template: request.template, reason } })
            .catch(() => undefined);
          return;
        }
        this.logger.warn(`Sending "${request.template}" failed (attempt ${attempt} of ${ATTEMPTS}): ${reason}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
}

/**
 * Credentials over `smtp://` go only after STARTTLS: a server (or someone in between) that does not
 * offer it gets no password in clear. `?requireTLS=false` in SMTP_URL opts out (a relay on localhost).
 */
function mustUpgrade(smtpUrl: string): boolean {
  const url = new URL(smtpUrl);
  return url.protocol === 'smtp:' && url.username !== '' && url.searchParams.get('requireTLS') !== 'false';
}

/** An SMTP error without anything that could carry credentials (nodemailer's code and response line). */
function describe(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const parts = [typeof code === 'string' ? code : 'error', typeof responseCode === 'number' ? String(responseCode) : ''];
  return parts.filter(Boolean).join(' ');
}
