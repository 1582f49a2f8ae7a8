import { parseScope } from '../common/permissions';
import { BadRequestException, Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { AuthService, ClientInfo, TokenBlock } from '../auth/auth.service';
import { SessionStartGates } from '../auth/session-start-gates';
import { MfaRequiredException, REALM } from '../common/exceptions/auth.exceptions';
import { appConfig } from '../config/app.config';
import type { SessionStart } from '../sessions/sessions.service';
import { LoginThrottleService, TooManyFailedLoginsException } from '../throttle/login-throttle.service';
import type { User } from '../users/entities/user.entity';
import { identityOf } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { MfaRepository } from './mfa.repository';
import { hashChallenge } from './mfa-secrets';
import { MfaService } from './mfa.service';
import { PasskeysService, PasskeyRefusedException } from './passkeys.service';
import { ValidationFailedException } from '../common/validation';

/** An mfa_token lives this long (seconds). */
export const MFA_TOKEN_SECONDS = 300;
const LOGIN_CHALLENGE = 'login';
/** Passkey sign-in options a client IP may ask for per minute. */
const WEBAUTHN_OPTIONS_PER_MINUTE = 60;
/** The restriction of a session whose user must enrol a second factor first (MFA_REQUIRED_ROLES). */
export const MFA_ENROLMENT = 'mfa_enrolment';

/** What the password step left for the second one (stored with the mfa_token). */
interface PendingLogin {
  method: string;
  amr: string[];
  credential: string | null;
  /** The scope the password step asked for (a down-scoped login), kept for the session the second step starts. */
  scope?: string[] | null;
}

/** The second factor a login is completed with: exactly one of them. */
export interface SecondFactor {
  totp?: string;
  recovery_code?: string;
  webauthn?: AuthenticationResponseJSON;
}

/** 401 for an unknown, expired or spent mfa_token: the login must start again. */
class InvalidMfaTokenException extends UnauthorizedException {
  readonly errorCode = 'invalid_mfa_token';
  readonly challenge = `MFA realm="${REALM}"`;

  constructor() {
    super('The mfa_token is unknown, expired or already used; log in again');
  }
}

/** 401 for a wrong second factor (it counted toward the username's lock, as a wrong password does). */
class WrongSecondFactorException extends UnauthorizedException {
  readonly errorCode = 'invalid_second_factor';
  readonly challenge = `MFA realm="${REALM}"`;

  constructor() {
    super('The code or passkey is not valid (a TOTP code is good once); try again with the same mfa_token');
  }
}

/**
 * Logins with a second factor. It is a gate every login passes before its session starts
 * (SessionStartGates, asked by AuthService.startSession): after a correct password, a user with a
 * factor gets 401 mfa_required and an mfa_token instead of a session; a user whom MFA_REQUIRED_ROLES
 * names and who has no factor gets a session restricted to enrolling one. Federated logins pass with
 * the provider's `amr` unless MFA_REQUIRED_ROLES names the user. Completing with the mfa_token (or a
 * passkey alone) starts the session through the same AuthService.startSession.
 */
@Injectable()
export class MfaLoginService implements OnModuleInit {
  constructor(
    private readonly gates: SessionStartGates,
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly repository: MfaRepository,
    private readonly users: UsersService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  onModuleInit(): void {
    this.gates.register({
      check: (user, start) => this.gate(user, start),
      // A password is not enough for a user with a factor, or whom policy requires to have one.
      allowsPasswordOnly: async (user) => !this.mfaRequired(user) && (await this.mfa.methodsOf(user.id)).length === 0,
    });
  }

  private mfaRequired(user: User): boolean {
    return identityOf(user).roles.some((role) => this.config.mfa.requiredRoles.includes(role));
  }

  /** The gate: null (go on), a restriction, or a 401 mfa_required with a fresh mfa_token. */
  private async gate(user: User, start: SessionStart): Promise<string | null> {
    if (start.amr.includes('mfa')) return null;
    const required = this.mfaRequired(user);
    // A provider's login stands on the provider's own factors, unless policy asks more of this user.
    if (start.method.startsWith('oidc:') && !required) return null;
    const methods = await this.mfa.methodsOf(user.id);
    if (methods.length === 0) return required ? MFA_ENROLMENT : null;
    const mfaToken = randomBytes(32).toString('base64url');
    const pending: PendingLogin = { method: start.method, amr: start.amr, credential: start.credential, scope: start.scope ?? null };
    await this.repository.createChallenge({
      idHash: hashChallenge(mfaToken),
      kind: LOGIN_CHALLENGE,
      userId: user.id,
      data: pending,
      expiresAt: new Date(Date.now() + MFA_TOKEN_SECONDS * 1000),
    });
    throw new MfaRequiredException(mfaToken, methods, MFA_TOKEN_SECONDS);
  }

  /**
   * Options for a passwordless passkey login. Public and each one stored: limited per client IP
   * (WEBAUTHN_OPTIONS_PER_MINUTE a minute), so nobody can fill the challenge table.
   */
  async passkeyOptions(ip: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.throttle.limit(
      'webauthn-options',
      ip ?? 'unknown',
      WEBAUTHN_OPTIONS_PER_MINUTE,
      60,
      'Too many passkey sign-in attempts from this address; try again shortly',
    );
    return this.passkeys.loginOptions();
  }

  /** WebAuthn options for completing a login with a passkey as the second factor. */
  async webauthnOptions(mfaToken: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const pending = await this.repository.findLiveChallenge<PendingLogin>(hashChallenge(mfaToken), LOGIN_CHALLENGE);
    if (!pending?.userId) throw new InvalidMfaTokenException();
    return this.passkeys.secondFactorOptions(pending.userId);
  }

  /**
   * Completes a login: the mfa_token must be live, the factor right (checked under the login throttle,
   * counted before it is verified, like a password), and then the token is spent and the session starts.
   */
  async complete(
    mfaToken: string,
    factor: SecondFactor,
    client: ClientInfo,
    validitySecs?: string,
    scope?: string,
  ): Promise<{ user: User; token: TokenBlock }> {
    const askedNow = parseScope(scope);
    const given = [factor.totp, factor.recovery_code, factor.webauthn].filter((value) => value !== undefined).length;
    if (given !== 1) throw new ValidationFailedException('Send exactly one of totp, recovery_code or webauthn with the mfa_token');
    const idHash = hashChallenge(mfaToken);
    const pending = await this.repository.findLiveChallenge<PendingLogin>(idHash, LOGIN_CHALLENGE);
    const user = pending?.userId ? await this.users.find(pending.userId) : null;
    if (!pending || !user) throw new InvalidMfaTokenException();
    // Claimed before the factor is checked: one check at a time per mfa_token, so concurrent
    // submissions neither spend several factors nor count as several failures; given back on failure.
    if (!(await this.repository.spendChallenge(idHash, LOGIN_CHALLENGE))) throw new InvalidMfaTokenException();
    let factorAmr: string[] | undefined;
    let result: Awaited<ReturnType<LoginThrottleService['guard']>>;
    try {
      result = await this.throttle.guard(user.username, client.ip, async (allowed) => {
        if (!allowed) return false;
        factorAmr = await this.verify(user.id, factor);
        return factorAmr !== undefined;
      });
    } catch (error) {
      await this.repository.releaseChallenge(idHash, LOGIN_CHALLENGE);
      throw error;
    }
    if (result.kind === 'ip-blocked' || result.kind === 'locked' || !result.ok || !factorAmr) {
      await this.repository.releaseChallenge(idHash, LOGIN_CHALLENGE);
    }
    if (result.kind === 'ip-blocked') {
      await this.audit.record({ type: 'login.ip_blocked', username: user.username });
      throw new TooManyFailedLoginsException(result.retryAfter);
    }
    const method = factor.totp !== undefined ? 'totp' : factor.recovery_code !== undefined ? 'recovery_code' : 'webauthn';
    if (result.kind === 'locked' || !result.ok || !factorAmr) {
      const reason = result.kind === 'locked' ? 'locked' : `wrong second factor (${method})`;
      await this.audit.record({ type: 'login.failure', userId: user.id, username: user.username, details: { reason } });
      if (result.kind === 'checked' && result.lockedNow > 0) {
        await this.audit.record({ type: 'login.locked', userId: user.id, username: user.username, details: { seconds: result.lockedNow } });
      }
      throw new WrongSecondFactorException();
    }
    if (!user.enabled) throw new InvalidMfaTokenException();
    const amr = [...new Set([...pending.data.amr, ...factorAmr, 'mfa'])];
    const { token } = await this.auth.startSession(
      user,
      { method: pending.data.method, amr, client, credential: pending.data.credential, scope: askedNow ?? pending.data.scope ?? null },
      validitySecs,
    );
    return { user, token };
  }

  /** A passwordless login with a discoverable passkey (user verification required: it counts as multi-factor). */
  async passkeyLogin(
    response: AuthenticationResponseJSON,
    client: ClientInfo,
    validitySecs?: string,
    scope?: string,
  ): Promise<{ user: User; token: TokenBlock }> {
    const asked = parseScope(scope);
    const { userId, amr } = await this.passkeys.verifyAssertion(response, 'webauthn_login');
    const user = await this.users.find(userId);
    if (!user?.enabled) throw new PasskeyRefusedException('This account cannot log in');
    // User verification (biometric or PIN) on the authenticator plus possession of the key: two factors.
    const { token } = await this.auth.startSession(
      user,
      { method: 'passkey', amr: [...amr, 'mfa'], client, credential: null, scope: asked ?? null },
      validitySecs,
    );
    return { user, token };
  }

  private async verify(userId: string, factor: SecondFactor): Promise<string[] | undefined> {
    if (factor.totp !== undefined) return (await this.mfa.verifyTotp(userId, factor.totp)) ? ['otp'] : undefined;
    if (factor.recovery_code !== undefined) return (await this.mfa.verifyRecoveryCode(userId, factor.recovery_code)) ? ['otp'] : undefined;
    try {
      return (await this.passkeys.verifyAssertion(factor.webauthn as AuthenticationResponseJSON, 'webauthn_mfa', userId)).amr;
    } catch (error) {
      if (error instanceof PasskeyRefusedException || error instanceof BadRequestException) return undefined;
      throw error;
    }
  }
}
