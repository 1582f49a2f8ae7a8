import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, importSPKI, jwtVerify, JWTVerifyGetKey, KeyLike } from 'jose';
import { Issuer } from 'openid-client';
import type { BearerVerifier, PresentedToken } from '../auth/verifiers/bearer-verifier';
import { BearerVerifiers } from '../auth/verifiers/bearer-verifiers';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import { AuthenticatedUser, authenticatedUser } from '../common/interfaces/authenticated-user';
import { appConfig } from '../config/app.config';
import { OidcProviderConfig, PROVIDER_ALGORITHMS } from '../config/federation.config';
import { identityOf } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { claimAt } from './federated-users.service';

/** Provider tokens are larger than ours (many claims, RSA signatures) but still bounded. */
const MAX_PROVIDER_TOKEN_LENGTH = 16_384;

/**
 * Service-account tokens issued by a configured provider: `Authorization: Bearer` or
 * `X-JWT-Assertion`. Registered with the bearer guard's verifiers at start-up; claims the tokens
 * whose `iss` is a provider with `serviceAccounts`. Verified with the provider's public key (configured PEM, a PEM file under
 * DATA_DIR/oidc, or its JWKS, cached and refetched on an unknown `kid` at most once per
 * jwksCooldownSeconds), asymmetric algorithms only, and `iss`, `aud`, `exp`, `nbf` checked. The
 * subject is an existing local user (by the configured claim); their roles apply.
 */
@Injectable()
export class ServiceAccountVerifier implements BearerVerifier, OnModuleInit {
  readonly name = 'federation service accounts';
  readonly acceptsAssertions = true;
  /** Never cached: a provider's token carries no Gatehouse session to check for revocation. */
  readonly cacheable = false;
  private readonly logger = new Logger(ServiceAccountVerifier.name);
  private readonly keys = new Map<string, Promise<KeyLike | JWTVerifyGetKey>>();
  private readonly issuers: Set<string>;

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly users: UsersService,
    private readonly verifiers: BearerVerifiers,
  ) {
    this.issuers = new Set(config.federation.providers.filter((p) => p.serviceAccounts).map((p) => p.issuer));
  }

  onModuleInit(): void {
    if (this.issuers.size > 0) this.verifiers.register(this);
  }

  claims(token: PresentedToken): boolean {
    return typeof token.issuer === 'string' && this.issuers.has(token.issuer);
  }

  verify(token: PresentedToken): Promise<AuthenticatedUser> {
    return this.verifyToken(token.raw);
  }

  private async verifyToken(token: string): Promise<AuthenticatedUser> {
    if (token.length > MAX_PROVIDER_TOKEN_LENGTH) throw new InvalidTokenException('The token is too large');
    let header: ReturnType<typeof decodeProtectedHeader>;
    let issuer: unknown;
    try {
      header = decodeProtectedHeader(token);
      issuer = decodeJwt(token).iss;
    } catch {
      throw new InvalidTokenException('The token is malformed');
    }
    if (typeof header.alg !== 'string' || !PROVIDER_ALGORITHMS.includes(header.alg)) {
      throw new InvalidTokenException(`Provider tokens must be signed with ${PROVIDER_ALGORITHMS.join(', ')}`);
    }
    const provider = this.config.federation.providers.find((p) => p.serviceAccounts && p.issuer === issuer);
    if (!provider?.serviceAccounts) throw new InvalidTokenException('The token was issued by an unknown provider');
    const accounts = provider.serviceAccounts;
    let payload: Record<string, unknown>;
    try {
      const key = await this.key(provider);
      const verified = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: provider.issuer,
        audience: accounts.audience,
        algorithms: accounts.algorithms,
        requiredClaims: ['exp'],
        clockTolerance: this.config.jwt.clockTolerance,
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      throw new InvalidTokenException(describe(error));
    }
    const name = claimAt(payload, accounts.claim);
    if (typeof name !== 'string' || !name) throw new InvalidTokenException(`The token has no "${accounts.claim}" claim naming its account`);
    const user = await this.users.findByUsername(name);
    if (!user) throw new InvalidTokenException('The token names no known account');
    if (!user.enabled) throw new InvalidTokenException('The token names a disabled account');
    // Not a Gatehouse session: nothing to end or list.
    return authenticatedUser(identityOf(user), { sessionId: '', expiresAt: payload.exp as number, credential: 'provider' });
  }

  private key(provider: OidcProviderConfig): Promise<KeyLike | JWTVerifyGetKey> {
    let key = this.keys.get(provider.name);
    if (!key) {
      key = this.loadKey(provider).catch((error: Error) => {
        this.logger.warn(`Provider ${provider.name}: its public keys are unavailable: ${error.message}`);
        this.keys.delete(provider.name);
        throw error;
      });
      this.keys.set(provider.name, key);
    }
    return key;
  }

  private async loadKey(provider: OidcProviderConfig): Promise<KeyLike | JWTVerifyGetKey> {
    const accounts = provider.serviceAccounts!;
    if (accounts.publicKeyPem) {
      // A PEM names no algorithm and jose binds an imported key to one: import it once per algorithm used.
      const imported = new Map<string, Promise<KeyLike>>();
      return (header) => {
        let key = imported.get(header.alg);
        if (!key) {
          key = importSPKI(accounts.publicKeyPem!, header.alg);
          imported.set(header.alg, key);
        }
        return key;
      };
    }
    const jwksUri = accounts.jwksUri ?? (await Issuer.discover(provider.issuer)).metadata.jwks_uri;
    if (!jwksUri) throw new Error(`provider ${provider.name} publishes no jwks_uri`);
    return createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: accounts.jwksCooldownSeconds * 1000,
      cacheMaxAge: 10 * 60 * 1000,
      timeoutDuration: 5000,
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWKSNoMatchingKey) return 'The token was signed with an unknown key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token algorithm is not accepted';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) return `The token could not be verified (${error.code})`;
  return 'The token could not be verified: the provider keys are unavailable';
}
