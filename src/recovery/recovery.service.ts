import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { normalizeUsername } from '../common/credentials';
import { MfaMethod, REALM } from '../common/exceptions/auth.exceptions';
import { appConfig } from '../config/app.config';
import { MailService } from '../mail/mail.service';
import { MfaService } from '../mfa/mfa.service';
import { LoginThrottleService, TooManyFailedLoginsException, TooManyRequestsException, ipKey } from '../throttle/login-throttle.service';
import type { User } from '../users/entities/user.entity';
import { UserEvent, UserEvents } from '../users/user-events';
import { credentialFingerprint } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { RecoveryRepository } from './recovery.repository';

const HOUR = 3600;
/** The work of a reset request runs this long after its answer (uniformly random). */
const RESET_WORK_DELAY_MS = { min: 200, max: 1500 };
/** A reset request is answered no sooner than this (ms). */
const FORGOT_MIN_MS = 50;

/** 400 for a link that cannot be used: unknown, expired, spent, or overtaken by a change (password, address). */
class InvalidLinkException extends BadRequestException {
  readonly errorCode = 'invalid_link';

  constructor() {
    super('The link is invalid, expired or already used; ask for a new one');
  }
}

/** 401: the account has a second factor, and a reset link alone must not bypass it. */
class SecondFactorNeededException extends UnauthorizedException {
  readonly errorCode = 'mfa_required';
  readonly challenge = `MFA realm="${REALM}"`;
  readonly details: { methods: MfaMethod[] };

  constructor(
    methods: MfaMethod[],
    message = 'This account has a second factor: send a TOTP code (totp) or a recovery code (recovery_code) with the new password',
  ) {
    super(message);
    this.details = { methods };
  }
}

class WrongSecondFactorException extends UnauthorizedException {
  readonly errorCode = 'invalid_second_factor';
  readonly challenge = `MFA realm="${REALM}"`;

  constructor() {
    super('The code is not valid (a TOTP code is good once); the link still works until it expires');
  }
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Password reset and e-mail verification by links sent through MailService. Tokens are 256 random
 * bits, stored as SHA-256, single use, short-lived, and bound to what they change: a reset link to the
 * password hash it replaces (any password change makes it useless), a verification link to the
 * address it was sent to. A reset request answers the same whatever it names (the work happens after
 * the answer); reset links go only to verified addresses; a user with a second factor must present it.
 */
@Injectable()
export class RecoveryService implements OnApplicationShutdown {
  private readonly logger = new Logger('Recovery');
  private readonly pendingWork = new Set<NodeJS.Timeout>();

  constructor(
    private readonly repository: RecoveryRepository,
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly throttle: LoginThrottleService,
    private readonly mfa: MfaService,
    private readonly audit: AuditService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  /**
   * Asks for a reset link. Limited per name or address and per client IP (429); otherwise always the
   * same answer, at once: finding the account and sending happen afterwards.
   */
  async forgot(request: { username: string } | { email: string }, ip: string | undefined): Promise<void> {
    const started = Date.now();
    const identifier = 'username' in request ? request.username : request.email;
    this.assertMailEnabled();
    const { perIpPerHour, perAddressPerHour } = this.config.recovery;
    // IPv6 clients count by /64, as for failed logins; names as the login normalises them.
    await this.throttle.limit(
      'reset-ip',
      ip ? ipKey(ip) : 'unknown',
      perIpPerHour,
      HOUR,
      'Too many password-reset requests from this address; try again later',
    );
    await this.throttle.limit(
      'reset-name',
      normalizeUsername(identifier.trim()),
      perAddressPerHour,
      HOUR,
      'Too many password-reset requests for this account; try again later',
    );
    // After a random delay: on SQLite the lookup and writes hold the event loop for a few ms, and
    // right after the answer that would show (to a request timed just after) whether a name exists.
    const delay = RESET_WORK_DELAY_MS.min + randomInt(RESET_WORK_DELAY_MS.max - RESET_WORK_DELAY_MS.min);
    const timer = setTimeout(() => {
      this.pendingWork.delete(timer);
      this.sendResetLinks(request).catch((error: Error) => this.logger.error(`A password-reset request failed: ${error.message}`));
    }, delay);
    this.pendingWork.add(timer);
    // Every answer takes at least FORGOT_MIN_MS: what little varies before it (the limit counters,
    // Redis or not) is hidden, and a timing probe measures the same thing for every name.
    const left = FORGOT_MIN_MS - (Date.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }

  /** Requests still waiting for their delayed work are dropped at shutdown (the requester got 202 either way). */
  onApplicationShutdown(): void {
    for (const timer of this.pendingWork) clearTimeout(timer);
    this.pendingWork.clear();
  }

  /** Sets a new password with a reset link (and the second factor, if the account has one); every session ends. */
  async reset(
    token: string,
    newPassword: string,
    factor: { totp?: string; recovery_code?: string },
    ip: string | undefined,
  ): Promise<void> {
    this.assertMailEnabled();
    const tokenHash = sha256(token);
    const link = await this.repository.findLive(tokenHash, 'password_reset');
    const user = link ? await this.users.findWithHash(link.userId) : null;
    if (!link || !user || !user.enabled || credentialFingerprint(user.passwordHash) !== link.binding) throw new InvalidLinkException();
    this.users.assertAcceptablePassword(newPassword, user.username);
    await this.checkSecondFactor(user, factor, ip);
    if (!(await this.repository.spend(tokenHash))) throw new InvalidLinkException();
    if (!(await this.users.resetPassword(user, newPassword))) throw new InvalidLinkException();
    await this.repository.spendAllFor(user.id, 'password_reset');
    // The owner proved themself: a lock on the username (perhaps an attacker's doing) goes.
    await this.throttle.clearLock(user.username);
  }

  /** Confirms the address a verification link was sent to (unless it changed since). */
  async verifyEmail(token: string): Promise<void> {
    this.assertMailEnabled();
    const tokenHash = sha256(token);
    const link = await this.repository.findLive(tokenHash, 'email_verification');
    const user = link ? await this.users.find(link.userId) : null;
    if (!link || !user?.email || sha256(user.email.toLowerCase()) !== link.binding) throw new InvalidLinkException();
    if (!(await this.repository.spend(tokenHash))) throw new InvalidLinkException();
    if (!(await this.users.markEmailVerified(user.id, user.email))) throw new InvalidLinkException();
  }

  /** Sends a new verification link to the signed-in user's unverified address (limited like reset requests). */
  async resendVerification(userId: string): Promise<void> {
    this.assertMailEnabled();
    const user = await this.users.findById(userId);
    if (!user.email) throw new BadRequestException('You have no e-mail address to verify; set one with PATCH /api/v1/users/me');
    if (user.emailVerified) throw new BadRequestException('Your e-mail address is already verified');
    await this.throttle.limit(
      'verify-user',
      user.id,
      this.config.recovery.perAddressPerHour,
      HOUR,
      'Too many verification e-mails; try again later',
    );
    await this.sendVerification(user);
  }

  /**
   * A new, unverified address: a verification link goes to it, and the verified address it replaced
   * is told (when mail is on). Limited like resends: past the limit the link is not sent (the user can
   * ask again later), the change itself stands.
   */
  @OnEvent(UserEvents.EmailAdded, { suppressErrors: false })
  async onEmailAdded(event: UserEvent): Promise<void> {
    if (!this.mail.enabled) return;
    const user = await this.users.find(event.userId);
    if (!user?.email || user.emailVerified) return;
    if (event.previousEmail && event.previousEmail.toLowerCase() !== user.email.toLowerCase()) {
      this.mail.enqueue({
        to: event.previousEmail,
        template: 'email-changed',
        locale: user.locale,
        userId: user.id,
        values: { username: user.username, email: user.email },
      });
    }
    try {
      await this.throttle.limit('verify-user', user.id, this.config.recovery.perAddressPerHour, HOUR, 'Too many verification e-mails');
    } catch (error) {
      if (error instanceof TooManyRequestsException) return;
      throw error;
    }
    await this.sendVerification(user);
  }

  private async sendVerification(user: User): Promise<void> {
    const email = user.email as string;
    await this.repository.spendAllFor(user.id, 'email_verification');
    const token = await this.issue(user.id, 'email_verification', sha256(email.toLowerCase()), this.config.recovery.verifyTtl);
    this.mail.enqueue({
      to: email,
      template: 'email-verification',
      locale: user.locale,
      userId: user.id,
      values: {
        username: user.username,
        email,
        link: withToken(this.config.recovery.verifyUrl, token),
        hours: String(Math.round(this.config.recovery.verifyTtl / HOUR)),
      },
    });
    await this.audit.record({ type: 'email.verification_sent', userId: user.id, username: user.username });
  }

  private async sendResetLinks(request: { username: string } | { email: string }): Promise<void> {
    for (const user of await this.users.findForPasswordReset(request)) {
      if (!user.enabled) continue;
      const token = await this.issue(
        user.id,
        'password_reset',
        credentialFingerprint(user.passwordHash) as string,
        this.config.recovery.resetTtl,
      );
      this.mail.enqueue({
        to: user.email as string,
        template: 'password-reset',
        locale: user.locale,
        userId: user.id,
        values: {
          username: user.username,
          link: withToken(this.config.recovery.resetUrl, token),
          minutes: String(Math.round(this.config.recovery.resetTtl / 60)),
        },
      });
      await this.audit.record({ type: 'password.reset_requested', userId: user.id, username: user.username });
    }
  }

  private async issue(userId: string, kind: 'password_reset' | 'email_verification', binding: string, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.repository.create({ tokenHash: sha256(token), kind, userId, binding, expiresAt: new Date(Date.now() + ttlSeconds * 1000) });
    return token;
  }

  /** A user with a second factor proves it (TOTP or a recovery code) under the login throttle, as at login. */
  private async checkSecondFactor(user: User, factor: { totp?: string; recovery_code?: string }, ip: string | undefined): Promise<void> {
    const all = await this.mfa.methodsOf(user.id);
    if (all.length === 0) return;
    // A passkey cannot be asked for here (no WebAuthn ceremony on a reset page): a recovery code stands in.
    const methods = all.filter((method) => method !== 'webauthn');
    if (methods.length === 0) {
      throw new SecondFactorNeededException(
        [],
        'This account’s only second factor is a passkey and no recovery codes are left: sign in with the passkey and change ' +
          'the password there, or ask an administrator to reset your factors',
      );
    }
    if (factor.totp === undefined && factor.recovery_code === undefined) throw new SecondFactorNeededException(methods);
    const result = await this.throttle.guard(user.username, ip, async (allowed) => {
      if (!allowed) return false;
      if (factor.totp !== undefined) return this.mfa.verifyTotp(user.id, factor.totp);
      return this.mfa.verifyRecoveryCode(user.id, factor.recovery_code as string);
    });
    if (result.kind === 'ip-blocked') throw new TooManyFailedLoginsException(result.retryAfter);
    if (result.kind === 'locked' || !result.ok) {
      await this.audit.record({
        type: 'login.failure',
        userId: user.id,
        username: user.username,
        details: { reason: result.kind === 'locked' ? 'locked' : 'wrong second factor', during: 'password reset' },
      });
      throw new WrongSecondFactorException();
    }
  }

  private assertMailEnabled(): void {
    if (!this.mail.enabled) {
      throw new NotFoundException('E-mail is not configured on this server (SMTP_URL), so password reset and e-mail verification are off');
    }
  }
}

function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${token}`;
}
