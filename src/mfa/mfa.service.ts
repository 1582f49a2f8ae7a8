import { ConflictException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import type { AuditEventType } from '../audit/audit-event-types';
import type { MfaMethod } from '../common/exceptions/auth.exceptions';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { appConfig } from '../config/app.config';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { MfaRepository } from './mfa.repository';
import { MfaSecrets } from './mfa-secrets';
import { newTotpSecret, otpauthUri, totpStepOf } from './totp';

export interface MfaStatus {
  totp: { enabled: boolean; confirmedAt?: string };
  recoveryCodes: { remaining: number };
  passkeys: number;
  /** What a login can be completed with now. */
  methods: MfaMethod[];
}

export interface TotpEnrolment {
  /** Base32, for typing into an app; shown once. */
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** The 401 for a wrong code when a signed-in user proves a factor (confirming an enrolment). */
class WrongCodeException extends UnauthorizedException {
  readonly errorCode = 'invalid_code';

  constructor() {
    super('The code is not valid (or was already used); enter the current code from your authenticator app');
  }
}

/**
 * A user's second factors, as they manage them (and an administrator's reset): TOTP enrolment and
 * removal, recovery codes, and what every change must do — audit it and end the user's other
 * sessions. Checking a factor during a login is here too, for the login flow.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly secrets: MfaSecrets,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async status(userId: string): Promise<MfaStatus> {
    const summary = await this.repository.summary(userId);
    return {
      totp: summary.totp ? { enabled: true, confirmedAt: summary.totp.confirmedAt.toISOString() } : { enabled: false },
      recoveryCodes: { remaining: summary.recoveryCodesLeft },
      passkeys: summary.passkeys,
      methods: methodsOf(summary),
    };
  }

  /** Another user's factors, as an administrator sees them (404 for an unknown user). */
  async statusOf(userId: string): Promise<MfaStatus> {
    if (!(await this.users.find(userId))) throw new NotFoundException('User not found');
    return this.status(userId);
  }

  /** The second-factor methods a login of this user can be completed with; empty: the user has none. */
  async methodsOf(userId: string): Promise<MfaMethod[]> {
    return methodsOf(await this.repository.summary(userId));
  }

  /** Step 1 of TOTP enrolment: a new secret (replacing an unconfirmed one), shown once. 409 when TOTP is already on. */
  async startTotp(principal: AuthenticatedUser): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    if (!(await this.repository.savePendingTotp(principal.id, this.secrets.encryptTotpSecret(principal.id, secret)))) {
      throw new ConflictException('TOTP is already set up; remove it first (DELETE /api/v1/users/me/mfa/totp) to enrol a new one');
    }
    const uri = otpauthUri(secret, principal.username, this.config.mfa.webauthn.rpName);
    // qrcode loads on the first enrolment, not at start-up.
    const { toString: qrSvg } = await import('qrcode');
    return { secret, otpauthUri: uri, qrSvg: await qrSvg(uri, { type: 'svg', margin: 1 }) };
  }

  /**
   * Step 2: a code from the app proves it holds the secret; TOTP is on from now. The first factor
   * also brings recovery codes, returned this once.
   */
  async confirmTotp(principal: AuthenticatedUser, code: string): Promise<{ recoveryCodes?: string[] }> {
    const pending = await this.repository.findTotp(principal.id);
    if (!pending || pending.confirmedAt) {
      throw new ConflictException('No TOTP enrolment is waiting for confirmation; start one with POST /api/v1/users/me/mfa/totp');
    }
    const step = totpStepOf(this.secrets.decryptTotpSecret(principal.id, pending.secret), code);
    if (step === undefined) throw new WrongCodeException();
    if (!(await this.repository.confirmTotp(principal.id, step))) {
      throw new ConflictException('The enrolment was confirmed or replaced meanwhile');
    }
    const recoveryCodes = await this.recoveryCodesForFirstFactor(principal.id);
    await this.changed(principal, 'mfa.totp_enrolled');
    return recoveryCodes ? { recoveryCodes } : {};
  }

  async removeTotp(principal: AuthenticatedUser): Promise<void> {
    if (!(await this.repository.deleteTotp(principal.id))) throw new NotFoundException('TOTP is not set up');
    await this.dropRecoveryCodesIfNoFactorLeft(principal.id);
    await this.changed(principal, 'mfa.totp_removed');
  }

  /** A new set of ten codes; the old set stops working. Only with a factor to recover. */
  async regenerateRecoveryCodes(principal: AuthenticatedUser): Promise<string[]> {
    const summary = await this.repository.summary(principal.id);
    if (!summary.totp && summary.passkeys === 0) {
      throw new ConflictException('Recovery codes stand in for a second factor; set up TOTP or a passkey first');
    }
    const codes = await this.issueRecoveryCodes(principal.id);
    await this.changed(principal, 'mfa.recovery_codes_generated');
    return codes;
  }

  /** An administrator removes every factor of a user (who lost them all); the user's sessions end. */
  async reset(userId: string, actor: AuthenticatedUser): Promise<void> {
    // Not a user holding more than the administrator: stripping an ADMIN's factors is half a takeover.
    const user = await this.users.administered(userId, actor);
    await this.repository.deleteAll(user.id);
    await this.audit.record({ type: 'mfa.reset', userId: user.id, username: user.username, actorId: actor.id, details: { by: actor.id } });
    await this.sessions.revokeAllForUser(user.id, undefined, 'mfa_changed');
  }

  /** A passkey was registered: audit, other sessions end, and recovery codes if it is the first factor. */
  async passkeyAdded(principal: AuthenticatedUser, passkeyId: string): Promise<{ recoveryCodes?: string[] }> {
    const recoveryCodes = await this.recoveryCodesForFirstFactor(principal.id);
    await this.changed(principal, 'mfa.passkey_added', { passkeyId });
    return recoveryCodes ? { recoveryCodes } : {};
  }

  async passkeyRemoved(principal: AuthenticatedUser, passkeyId: string): Promise<void> {
    await this.dropRecoveryCodesIfNoFactorLeft(principal.id);
    await this.changed(principal, 'mfa.passkey_removed', { passkeyId });
  }

  async passkeyRenamed(principal: AuthenticatedUser, passkeyId: string): Promise<void> {
    await this.audit.record({ type: 'mfa.passkey_renamed', userId: principal.id, username: principal.username, details: { passkeyId } });
  }

  /** A TOTP code during a login: right, and its time step not used before (spent now). */
  async verifyTotp(userId: string, code: string): Promise<boolean> {
    const totp = await this.repository.findTotp(userId);
    if (!totp?.confirmedAt) return false;
    const step = totpStepOf(this.secrets.decryptTotpSecret(userId, totp.secret), code);
    return step !== undefined && (await this.repository.useTotpStep(userId, step));
  }

  /** A recovery code during a login: one of the user's unused codes (spent now). */
  async verifyRecoveryCode(userId: string, code: string): Promise<boolean> {
    const used = await this.repository.useRecoveryCode(userId, this.secrets.hashRecoveryCode(code));
    if (used) {
      const { recoveryCodesLeft } = await this.repository.summary(userId);
      await this.audit.record({ type: 'mfa.recovery_code_used', userId, details: { remaining: recoveryCodesLeft } });
    }
    return used;
  }

  private async recoveryCodesForFirstFactor(userId: string): Promise<string[] | undefined> {
    const { recoveryCodesLeft } = await this.repository.summary(userId);
    return recoveryCodesLeft > 0 ? undefined : this.issueRecoveryCodes(userId);
  }

  private async issueRecoveryCodes(userId: string): Promise<string[]> {
    const codes = this.secrets.newRecoveryCodes();
    await this.repository.replaceRecoveryCodes(
      userId,
      codes.map((code) => this.secrets.hashRecoveryCode(code)),
    );
    return codes;
  }

  private async dropRecoveryCodesIfNoFactorLeft(userId: string): Promise<void> {
    const summary = await this.repository.summary(userId);
    if (!summary.totp && summary.passkeys === 0) await this.repository.deleteRecoveryCodes(userId);
  }

  /** Every change to a user's factors: audited, and the user's other sessions end. */
  private async changed(principal: AuthenticatedUser, type: AuditEventType, details: Record<string, unknown> = {}): Promise<void> {
    await this.audit.record({
      type,
      userId: principal.id,
      username: principal.username,
      details: { ...details, sessionId: principal.sessionId },
    });
    await this.sessions.revokeAllForUser(principal.id, principal.sessionId, 'mfa_changed');
  }
}

function methodsOf(summary: { totp: unknown; recoveryCodesLeft: number; passkeys: number }): MfaMethod[] {
  const methods: MfaMethod[] = [];
  if (summary.totp) methods.push('totp');
  if (summary.recoveryCodesLeft > 0 && (summary.totp || summary.passkeys > 0)) methods.push('recovery_code');
  if (summary.passkeys > 0) methods.push('webauthn');
  return methods;
}
