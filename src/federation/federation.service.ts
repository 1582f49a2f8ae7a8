import { BadRequestException, Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BaseClient, custom, errors, generators, Issuer } from 'openid-client';
import { AuditService } from '../audit/audit.service';
import { appConfig } from '../config/app.config';
import type { OidcProviderConfig } from '../config/federation.config';
import type { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import type { OidcPendingLogin } from './entities/oidc-pending-login.entity';
import { FederatedUsersService } from './federated-users.service';
import { FederationRepository } from './federation.repository';
import { FederationError } from './federation.error';

/** How long a user may spend at the provider before the callback is refused. */
const PENDING_TTL_MS = 10 * 60 * 1000;
/** How long the frontend has to exchange the one-time code. */
const CODE_TTL_MS = 60 * 1000;

// The provider's endpoints must answer promptly; a hung provider must not hang our requests.
custom.setHttpOptionsDefaults({ timeout: 5000 });

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface StartedLogin {
  url: string;
  /** Binds the login to this browser (the callback compares it with `state`): a login CSRF defence. */
  state: string;
  /** Whether the callback is https, so the state cookie can be Secure. */
  secure: boolean;
}

/**
 * Delegated login with the authorization code flow, PKCE (S256), `state` and `nonce`, through
 * openid-client (a certified relying party). Discovery documents are fetched on first use and kept.
 */
@Injectable()
export class FederationService {
  private readonly logger = new Logger(FederationService.name);
  private readonly clients = new Map<string, Promise<BaseClient>>();

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly repository: FederationRepository,
    private readonly federatedUsers: FederatedUsersService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /** Providers that offer delegated login (a client id is configured). */
  loginProviders(): OidcProviderConfig[] {
    return this.config.federation.providers.filter((p) => p.clientId);
  }

  provider(name: string): OidcProviderConfig {
    const provider = this.loginProviders().find((p) => p.name === name);
    if (!provider) throw new NotFoundException(`No OpenID Connect provider named "${name}" is configured for login`);
    return provider;
  }

  /** The callback URL: PUBLIC_URL's, else the login request's own origin (`requestOrigin`). */
  callbackUrl(provider: OidcProviderConfig, requestOrigin?: string): string {
    const base = this.config.federation.publicUrl ?? requestOrigin ?? `http://localhost:${this.config.http.port}`;
    return `${base}/authenticate/oidc/${provider.name}/callback`;
  }

  /** Where the provider should send the browser; the pending login is stored under its `state`. */
  async start(name: string, redirect = '/', requestOrigin?: string): Promise<StartedLogin> {
    const provider = this.provider(name);
    if (!this.config.federation.postLoginRedirects.includes(redirect)) {
      throw new BadRequestException('redirect is not on the allowed list (OIDC_POST_LOGIN_REDIRECTS)');
    }
    const client = await this.client(provider);
    const state = generators.state();
    const nonce = generators.nonce();
    const codeVerifier = generators.codeVerifier();
    const redirectUri = this.callbackUrl(provider, requestOrigin);
    await this.repository.insertPending({
      stateHash: sha256(state),
      provider: provider.name,
      nonce,
      codeVerifier,
      redirect,
      redirectUri,
      expiresAt: new Date(Date.now() + PENDING_TTL_MS),
    });
    const url = client.authorizationUrl({
      scope: provider.scopes,
      redirect_uri: redirectUri,
      response_type: 'code',
      state,
      nonce,
      code_challenge: generators.codeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, state, secure: redirectUri.startsWith('https:') };
  }

  /**
   * Checks the provider's answer (state against this browser's cookie and the stored login; then
   * openid-client: code exchange with the PKCE verifier, ID token signature, iss, aud, exp, nonce),
   * reads userinfo and provisions the user; returns the user and where to send the browser. Creates
   * nothing unless every check passed.
   */
  async finish(
    name: string,
    params: Record<string, unknown>,
    browserState: string | undefined,
  ): Promise<{ redirect: string; user: User; amr: string[] }> {
    const provider = this.provider(name);
    const state = typeof params.state === 'string' ? params.state : undefined;
    try {
      if (!state) throw new FederationError('The provider did not return the login state');
      if (!browserState || !sameText(state, browserState)) {
        throw new FederationError('The login state does not match this browser: start the login again');
      }
      const pending = await this.repository.takePending(sha256(state));
      if (!pending || pending.provider !== provider.name)
        throw new FederationError('The login state is unknown, used or expired: start the login again');
      if (typeof params.error === 'string') {
        throw new FederationError(
          `The provider refused the login: ${params.error}${typeof params.error_description === 'string' ? ` (${params.error_description.slice(0, 200)})` : ''}`,
        );
      }
      const client = await this.client(provider);
      const claims = await this.exchange(client, provider, params, pending);
      const user = await this.federatedUsers.provision(provider, claims);
      if (!user.enabled) throw new FederationError('This account is disabled');
      // The provider's own authentication methods (RFC 8176), when its ID token names them.
      // Only well-formed values (RFC 8176 names): sessions store them comma-joined, so a value such as
      // "pwd,mfa" must not turn into "mfa" after a refresh.
      const amr = Array.isArray(claims.amr)
        ? claims.amr.filter((value): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(value)).slice(0, 8)
        : [];
      return { redirect: pending.redirect, user, amr };
    } catch (error) {
      await this.audit.record({
        type: 'federation.login_failed',
        details: { provider: provider.name, reason: (error as Error).message.slice(0, 300) },
      });
      throw error;
    }
  }

  /** A one-time code for the session a callback started, for frontends that take tokens from the body. */
  async issueCode(provider: string, userId: string, sessionId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.repository.insertCode({
      codeHash: sha256(code),
      userId,
      sessionId,
      provider,
      expiresAt: new Date(Date.now() + CODE_TTL_MS),
    });
    return code;
  }

  /** Spends a one-time code; the user and session it was issued for, or a 401. */
  async redeem(code: string): Promise<{ user: User; sessionId: string }> {
    // The DELETE decides: of two concurrent redemptions exactly one removes the row.
    const row = await this.repository.takeCode(sha256(code));
    if (!row) throw new FederationError('The login code is unknown, used or expired: log in again');
    const user = await this.users.find(row.userId);
    if (!user || !user.enabled) throw new FederationError('This account is disabled');
    return { user, sessionId: row.sessionId };
  }

  private async exchange(
    client: BaseClient,
    provider: OidcProviderConfig,
    params: Record<string, unknown>,
    pending: OidcPendingLogin,
  ): Promise<Record<string, unknown>> {
    try {
      const tokens = await client.callback(pending.redirectUri, params as Record<string, string>, {
        state: params.state as string,
        nonce: pending.nonce,
        code_verifier: pending.codeVerifier,
        response_type: 'code',
      });
      const idClaims = tokens.claims() as Record<string, unknown>;
      let userinfo: Record<string, unknown> = {};
      if (tokens.access_token && client.issuer.metadata.userinfo_endpoint) {
        // openid-client checks that userinfo's `sub` is the ID token's.
        userinfo = (await client.userinfo(tokens.access_token, { params: {} })) as Record<string, unknown>;
        if (userinfo.sub !== idClaims.sub) throw new FederationError('The provider returned userinfo for another subject');
      }
      return { ...idClaims, ...userinfo };
    } catch (error) {
      if (error instanceof FederationError) throw error;
      if (error instanceof errors.OPError) throw new FederationError(`The provider refused the code exchange: ${error.error}`);
      if (error instanceof errors.RPError) throw new FederationError(`The provider's answer failed validation: ${error.message}`);
      this.logger.warn(`Provider ${provider.name}: code exchange failed: ${(error as Error).message}`);
      throw new ServiceUnavailableException(`The provider ${provider.name} could not be reached`);
    }
  }

  private client(provider: OidcProviderConfig): Promise<BaseClient> {
    let client = this.clients.get(provider.name);
    if (!client) {
      client = Issuer.discover(provider.issuer).then(
        (issuer) =>
          new issuer.Client({
            client_id: provider.clientId!,
            client_secret: provider.clientSecret,
            redirect_uris: [this.callbackUrl(provider)],
            response_types: ['code'],
            token_endpoint_auth_method: provider.clientSecret ? 'client_secret_basic' : 'none',
          }),
        (error: Error) => {
          // Not cached: the next login tries discovery again.
          this.clients.delete(provider.name);
          this.logger.warn(`Provider ${provider.name}: discovery at ${provider.issuer} failed: ${error.message}`);
          throw new ServiceUnavailableException(`The provider ${provider.name} could not be reached`);
        },
      );
      this.clients.set(provider.name, client);
    }
    return client;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
