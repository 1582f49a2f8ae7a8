import { BadRequestException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AuthenticatedUser } from '../common/interfaces/authenticated-user';
import { appConfig } from '../config/app.config';
import type { WebAuthnCredential } from './entities/webauthn-credential.entity';
import { MfaRepository } from './mfa.repository';
import { hashChallenge } from './mfa-secrets';

/** @simplewebauthn/server and its ASN.1/X.509 dependencies (~16 MB) load on the first passkey ceremony, not at start-up. */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (library ??= import('@simplewebauthn/server'));

/** WebAuthn ceremonies must finish within this long (the browser's own timeout is the same). */
const CEREMONY_SECONDS = 300;
const MAX_PASSKEYS = 20;

export type ChallengeKind = 'webauthn_register' | 'webauthn_login' | 'webauthn_mfa';

/** The 401 for an assertion that does not verify (unknown passkey, wrong origin, bad signature, spent challenge). */
export class PasskeyRefusedException extends UnauthorizedException {
  readonly errorCode = 'invalid_passkey';

  constructor(message = 'The passkey could not be verified; try again') {
    super(message);
  }
}

export interface PasskeyView {
  id: string;
  name: string;
  deviceType: string;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): registration by a signed-in user, and
 * assertions for a passwordless login (discoverable credentials) or as a second factor. Every
 * challenge is stored (any instance can finish a ceremony), bound to its purpose and user, and spent
 * once; origins and RP id come from WEBAUTHN_ORIGINS / PUBLIC_URL, user verification is required.
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly repository: MfaRepository,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  async registrationOptions(principal: AuthenticatedUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.repository.listPasskeys(principal.id);
    if (existing.length >= MAX_PASSKEYS) throw new BadRequestException(`At most ${MAX_PASSKEYS} passkeys per user; remove one first`);
    const { rpId, rpName } = this.config.mfa.webauthn;
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName,
      rpID: rpId,
      userName: principal.username,
      userID: new TextEncoder().encode(principal.id),
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: CEREMONY_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'webauthn_register', principal.id);
    return options;
  }

  /** Verifies a registration response to the challenge this user was given, and stores the passkey. */
  async register(principal: AuthenticatedUser, name: string, response: RegistrationResponseJSON): Promise<PasskeyView> {
    const challenge = challengeOf(response.response?.clientDataJSON);
    await this.expectChallenge(challenge, 'webauthn_register', principal.id);
    const { verifyRegistrationResponse } = await webauthn();
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: (value) => this.spend(value, 'webauthn_register'),
        expectedOrigin: this.config.mfa.webauthn.origins,
        expectedRPID: this.config.mfa.webauthn.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      throw new BadRequestException(`The passkey registration was refused: ${safeReason(error)}`);
    }
    if (!verification.verified) throw new BadRequestException('The passkey registration was refused');
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    if (await this.repository.findPasskeyByCredentialId(credential.id)) {
      throw new BadRequestException('This passkey is already registered');
    }
    const saved = await this.repository.addPasskey({
      userId: principal.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports?.join(',') ?? null,
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name,
    });
    return viewOf(saved);
  }

  async list(userId: string): Promise<PasskeyView[]> {
    return (await this.repository.listPasskeys(userId)).map(viewOf);
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyView> {
    if (!(await this.repository.renamePasskey(userId, id, name))) throw new NotFoundException('Passkey not found');
    return viewOf((await this.repository.findPasskey(userId, id)) as WebAuthnCredential);
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.repository.deletePasskey(userId, id))) throw new NotFoundException('Passkey not found');
  }

  /** Options for a passwordless login: any discoverable passkey of this site (no user named yet). */
  async loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.config.mfa.webauthn.rpId,
      userVerification: 'required',
      timeout: CEREMONY_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'webauthn_login', null);
    return options;
  }

  /** Options for a second factor: the passkeys of the user whose password was just checked. */
  async secondFactorOptions(userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = await this.repository.listPasskeys(userId);
    if (passkeys.length === 0) throw new BadRequestException('This account has no passkey; use another method');
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.config.mfa.webauthn.rpId,
      allowCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
      userVerification: 'preferred',
      timeout: CEREMONY_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'webauthn_mfa', userId);
    return options;
  }

  /**
   * Verifies an assertion to a challenge of `kind` (for `webauthn_mfa`, one given to `userId`), spends
   * the challenge, records the counter, and says whose passkey it was and how to describe it (RFC 8176:
   * `hwk` for a device-bound key, `swk` for a synced one; `user` when the authenticator verified the user).
   */
  async verifyAssertion(
    response: AuthenticationResponseJSON,
    kind: 'webauthn_login' | 'webauthn_mfa',
    userId?: string,
  ): Promise<{ userId: string; amr: string[] }> {
    const challenge = challengeOf(response.response?.clientDataJSON);
    const stored = await this.repository.findLiveChallenge<null>(hashChallenge(challenge), kind);
    if (!stored || (userId !== undefined && stored.userId !== userId))
      throw new PasskeyRefusedException('The passkey challenge is unknown, expired or used');
    const passkey = typeof response.id === 'string' ? await this.repository.findPasskeyByCredentialId(response.id) : null;
    if (!passkey || (userId !== undefined && passkey.userId !== userId))
      throw new PasskeyRefusedException('This passkey is not registered here');
    const { verifyAuthenticationResponse } = await webauthn();
    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (value) => this.spend(value, kind),
        expectedOrigin: this.config.mfa.webauthn.origins,
        expectedRPID: this.config.mfa.webauthn.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
          counter: Number(passkey.counter),
          transports: transportsOf(passkey),
        },
        requireUserVerification: kind === 'webauthn_login',
      });
    } catch (error) {
      throw new PasskeyRefusedException(`The passkey could not be verified: ${safeReason(error)}`);
    }
    if (!verification.verified) throw new PasskeyRefusedException();
    const info = verification.authenticationInfo;
    if (!(await this.repository.recordPasskeyUse(passkey.id, Number(passkey.counter), info.newCounter))) {
      throw new PasskeyRefusedException('The passkey was used by another request at the same moment; try again');
    }
    const amr = [info.credentialDeviceType === 'singleDevice' ? 'hwk' : 'swk'];
    if (info.userVerified) amr.push('user');
    return { userId: passkey.userId, amr };
  }

  private async storeChallenge(challenge: string, kind: ChallengeKind, userId: string | null): Promise<void> {
    const expiresAt = new Date(Date.now() + CEREMONY_SECONDS * 1000);
    await this.repository.createChallenge({ idHash: hashChallenge(challenge), kind, userId, data: null, expiresAt });
  }

  private async expectChallenge(challenge: string, kind: ChallengeKind, userId: string): Promise<void> {
    const stored = await this.repository.findLiveChallenge<null>(hashChallenge(challenge), kind);
    if (!stored || stored.userId !== userId)
      throw new BadRequestException('The passkey challenge is unknown, expired or used; ask for new options');
  }

  private spend(challenge: string, kind: ChallengeKind): Promise<boolean> {
    return this.repository.spendChallenge(hashChallenge(challenge), kind);
  }
}

/** The challenge inside a response's clientDataJSON (checked again by the library against the stored one). */
function challengeOf(clientDataJSON: unknown): string {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096)
    throw new BadRequestException('response.clientDataJSON is missing');
  try {
    const challenge = (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    if (typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return challenge;
  } catch {
    // Falls through to the 400 below.
  }
  throw new BadRequestException('response.clientDataJSON is not valid');
}

function transportsOf(passkey: WebAuthnCredential): AuthenticatorTransport[] | undefined {
  return passkey.transports ? (passkey.transports.split(',') as AuthenticatorTransport[]) : undefined;
}

/** The library's reason (wrong origin, bad signature, …): fixed texts that name no secret. */
function safeReason(error: unknown): string {
  const message = error instanceof Error ? error.message : 'unknown error';
  return message.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
}

function viewOf(passkey: WebAuthnCredential): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    deviceType: passkey.deviceType,
    backedUp: Boolean(passkey.backedUp),
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt ? passkey.lastUsedAt.toISOString() : null,
  };
}
