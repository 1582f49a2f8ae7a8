import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CLIENT_CREDENTIALS_GRANT, TokenService } from '../auth/token.service';
import { VerifiedTokenCache } from '../auth/verified-token-cache';
import { BearerVerifier, PresentedToken, unlessInvalid } from '../auth/verifiers/bearer-verifier';
import { BearerVerifiers } from '../auth/verifiers/bearer-verifiers';
import { InvalidTokenException } from '../common/exceptions/auth.exceptions';
import { AuthenticatedUser, authenticatedUser } from '../common/interfaces/authenticated-user';
import { grantedPermissions } from '../common/permissions';
import { appConfig } from '../config/app.config';
import { ClientCheck, ClientsService } from './clients.service';

interface VerifiedClientToken {
  sub: string;
  exp: number;
  iat: number;
  jti?: string;
  scope: string[];
  granted?: { of: object; permissions: string[] };
}

const CACHED = 20_000;
const MESSAGES = {
  unknown: 'The access token was revoked: its client no longer exists',
  disabled: 'The access token was revoked: its client is disabled',
} as const;

/**
 * Service clients' access tokens (client credentials grant): Gatehouse's own JWTs, told apart by
 * `gty: client_credentials` (and no session). Verified with the key store like every Gatehouse
 * token, then cached until `exp`; on every request the client must still exist and be enabled
 * (ClientsService's cached check, dropped by events), and the token may use its scope as far as
 * the client holds it now.
 */
@Injectable()
export class ClientTokenVerifier implements BearerVerifier, OnModuleInit {
  readonly name = 'service clients';
  readonly acceptsAssertions = false;
  readonly cacheable = false;
  private readonly issuer: string;
  private readonly verified: VerifiedTokenCache<VerifiedClientToken>;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly verifiers: BearerVerifiers,
    private readonly tokens: TokenService,
    private readonly clients: ClientsService,
  ) {
    this.issuer = config.jwt.issuer;
    this.verified = new VerifiedTokenCache<VerifiedClientToken>(CACHED, config.jwt.clockTolerance);
  }

  onModuleInit(): void {
    this.verifiers.register(this);
  }

  claims(token: PresentedToken): boolean {
    return token.issuer === this.issuer && token.payload?.gty === CLIENT_CREDENTIALS_GRANT;
  }

  verifyCached(token: PresentedToken): AuthenticatedUser | undefined {
    const known = this.verified.get(token.raw);
    if (!known) return undefined;
    const client = this.clients.checkCached(known.sub);
    return client ? admit(known, client) : undefined;
  }

  async verify(token: PresentedToken): Promise<AuthenticatedUser> {
    const known = await this.verifiedToken(token.raw);
    return admit(known, await this.clients.check(known.sub));
  }

  /** RFC 7662 for a client's token: active while it is good and its client may act. */
  async introspect(token: PresentedToken): Promise<Record<string, unknown> | undefined> {
    const verified = await unlessInvalid(async () => {
      const known = await this.verifiedToken(token.raw);
      return { known, principal: admit(known, await this.clients.check(known.sub)) };
    });
    if (!verified) return undefined;
    const { known, principal } = verified;
    return {
      active: true,
      sub: principal.id,
      client_id: principal.id,
      scope: principal.permissions.join(' '),
      exp: known.exp,
      iat: known.iat,
      token_type: 'Bearer',
      ...(known.jti ? { jti: known.jti } : {}),
    };
  }

  private async verifiedToken(raw: string): Promise<VerifiedClientToken> {
    const cached = this.verified.get(raw);
    if (cached) return cached;
    const claims = await this.tokens.verifyClientToken(raw);
    const known: VerifiedClientToken = {
      sub: claims.sub,
      exp: claims.exp,
      iat: claims.iat,
      jti: typeof claims.jti === 'string' ? claims.jti : undefined,
      scope: (await this.tokens.scopeOf(claims)) ?? [],
    };
    this.verified.set(raw, known);
    return known;
  }
}

function admit(known: VerifiedClientToken, client: ClientCheck): AuthenticatedUser {
  if (!client.ok) throw new InvalidTokenException(MESSAGES[client.reason]);
  let granted = known.granted;
  if (granted?.of !== client) known.granted = granted = { of: client, permissions: grantedPermissions(client.scopes, known.scope) };
  return authenticatedUser(
    { id: client.id, username: client.name, roles: [], permissions: client.scopes },
    {
      sessionId: '',
      expiresAt: known.exp,
      credential: 'client',
      credentialId: client.id,
      scope: known.scope,
      permissions: granted.permissions,
    },
  );
}
