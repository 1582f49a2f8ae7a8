import { HttpException, HttpStatus, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { AuthService } from '../auth/auth.service';
import { BasicClientCallers } from '../auth/basic-client-callers';
import { parseBasicAuthorization } from '../auth/basic-credentials';
import { TokenService } from '../auth/token.service';
import { ChallengeCarrier, ErrorBodyCarrier, InvalidTokenException, REALM } from '../common/exceptions/auth.exceptions';
import { parseScope, withinScope } from '../common/permissions';
import { appConfig } from '../config/app.config';
import { LoginThrottleService, TooManyFailedLoginsException } from '../throttle/login-throttle.service';
import { ClientCheck, ClientsService } from './clients.service';

/** RFC 6749 §5.1: the token endpoint's successful answer. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** An error of the token endpoint (RFC 6749 §5.2): `error` and `error_description` in the one error body. */
export class OAuthError extends HttpException implements ErrorBodyCarrier, ChallengeCarrier {
  readonly details: { error_description: string };
  readonly challenge?: string;

  constructor(
    readonly errorCode: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description, errorCode === 'invalid_client' ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST);
    this.details = { error_description: description };
    // RFC 6749 §5.2: a 401 names the scheme the client may authenticate with.
    if (errorCode === 'invalid_client') this.challenge = `Basic realm="${REALM}", charset="UTF-8"`;
  }
}

const CLIENT_AUTH_FAILED = 'Client authentication failed: unknown client, wrong secret, or a disabled client';
const MAX_PARAMETER_LENGTH = 8192;

/**
 * The OAuth 2 token endpoint (POST /oauth/token): the client credentials grant for service clients
 * (RFC 6749 §4.4) and the refresh token grant for sessions (§6). Client authentication by HTTP
 * Basic (`client_secret_basic`, the id and secret form-urlencoded first, §2.3.1) or in the body
 * (`client_secret_post`), never both. Failed client authentications count like failed logins
 * (LOGIN_MAX_FAILURES per client_id, LOGIN_IP_MAX_FAILURES per address), slots taken before the
 * secret is verified, so a burst cannot get around them.
 */
@Injectable()
export class OAuthTokenService implements OnModuleInit {
  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly clients: ClientsService,
    private readonly tokens: TokenService,
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    private readonly basicCallers: BasicClientCallers,
  ) {}

  /** Service clients may authenticate with Basic where user accounts do (introspection, RFC 7662 §2.1). */
  onModuleInit(): void {
    this.basicCallers.register(async (clientId, secret, ip) => {
      const known = await this.clients.check(clientId);
      if (!known.ok && known.reason === 'unknown') return undefined;
      const client = await this.authenticateClient(clientId, secret, ip);
      return client.ok ? { id: client.id, username: client.name, roles: [], permissions: client.scopes } : null;
    });
  }

  async token(body: unknown, authorization: string | undefined, ip: string | undefined): Promise<OAuthTokenResponse> {
    const params = readParameters(body);
    const grant = params.grant_type;
    if (grant === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    if (grant === 'client_credentials') return this.clientCredentials(params, authorization, ip);
    if (grant === 'refresh_token') {
      // Sessions are not bound to clients (public clients send none), but credentials that are sent must be right.
      if (authorization || params.client_secret !== undefined) {
        const credentials = clientCredentialsOf(params, authorization);
        if (!(await this.authenticateClient(credentials.clientId, credentials.secret, ip)).ok) {
          throw new OAuthError('invalid_client', CLIENT_AUTH_FAILED);
        }
      }
      return this.refresh(params);
    }
    throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials or refresh_token');
  }

  private async clientCredentials(
    params: Record<string, string>,
    authorization: string | undefined,
    ip: string | undefined,
  ): Promise<OAuthTokenResponse> {
    const credentials = clientCredentialsOf(params, authorization);
    // Checked before the secret: a malformed scope is the request's mistake whoever sends it.
    const requested = parseScope(params.scope);
    const client = await this.authenticateClient(credentials.clientId, credentials.secret, ip);
    if (!client.ok) throw new OAuthError('invalid_client', CLIENT_AUTH_FAILED);
    const scope = requested ? withinScope(requested, client.scopes, 'this client holds') : client.scopes;
    const signed = await this.tokens.signClientToken(client.id, scope, this.config.jwt.accessTtl);
    await this.audit.record({ type: 'client.token_issued', details: { clientId: client.id, scope } });
    return { access_token: signed.token, token_type: 'Bearer', expires_in: signed.expiresIn, scope: scope.join(' ') };
  }

  /**
   * A client's id and secret checked under the login throttle (per client_id and per address, slots
   * taken before the secret is verified); failures audited. 429 when the address is blocked.
   */
  async authenticateClient(clientId: string, secret: string, ip: string | undefined): Promise<ClientCheck> {
    let client: ClientCheck = { ok: false, reason: 'unknown' };
    const result = await this.throttle.guard(`client:${clientId}`, ip, async (allowed) => {
      client = await this.clients.authenticate(allowed ? clientId : '', secret);
      return client.ok;
    });
    if (result.kind === 'ip-blocked') throw new TooManyFailedLoginsException(result.retryAfter);
    const checked = client as ClientCheck;
    if (result.kind === 'locked' || !checked.ok) {
      const reason = result.kind === 'locked' ? 'locked' : checked.ok ? 'unknown' : checked.reason;
      await this.audit.record({ type: 'client.auth_failed', details: { clientId: clientId.slice(0, 64), reason } });
      return { ok: false, reason: 'unknown' };
    }
    return checked;
  }

  /** The refresh token grant, answered in the flat RFC 6749 shape; a bad refresh token is `invalid_grant`. */
  private async refresh(params: Record<string, string>): Promise<OAuthTokenResponse> {
    if (!params.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required for grant_type=refresh_token');
    try {
      const block = await this.auth.refresh(params.refresh_token, undefined, params.scope, { withScope: true });
      return {
        access_token: block.access_token,
        token_type: 'Bearer',
        expires_in: block.expires_in,
        scope: block.scope ?? '',
        refresh_token: block.refresh_token,
      };
    } catch (error) {
      if (error instanceof InvalidTokenException) throw new OAuthError('invalid_grant', error.message);
      throw error;
    }
  }
}

/** The body as strings (a form, or a JSON object of strings); anything else is invalid_request. */
function readParameters(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  // No prototype: a parameter named __proto__ is just an unknown parameter.
  const params = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    // `scope[]=…` is not how OAuth sends a list: refused, rather than ignored as unknown (the client would get more than it asked for).
    if (/^(grant_type|scope|client_id|client_secret|refresh_token)\[/.test(name)) {
      throw new OAuthError('invalid_request', `${name.slice(0, 40)}: parameters are single strings (a scope is space-separated)`);
    }
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name.slice(0, 40)} must be a string`);
    if (value.length > MAX_PARAMETER_LENGTH) throw new OAuthError('invalid_request', `${name.slice(0, 40)} is too long`);
    // RFC 6749 §3.2: parameters sent without a value are treated as omitted; unknown ones are ignored.
    if (value !== '') params[name] = value;
  }
  return params;
}

/** The client's id and secret from exactly one method: HTTP Basic (form-urlencoded parts) or the body. */
function clientCredentialsOf(params: Record<string, string>, authorization: string | undefined): { clientId: string; secret: string } {
  const basic = authorization ? parseBasicAuthorization(authorization) : undefined;
  if (basic === 'malformed')
    throw new OAuthError('invalid_client', 'Malformed Basic credentials: expected base64(client_id:client_secret)');
  if (basic) {
    if (params.client_secret !== undefined)
      throw new OAuthError('invalid_request', 'Authenticate the client one way: HTTP Basic or client_secret in the body, not both');
    const clientId = formDecode(basic.username);
    if (params.client_id !== undefined && params.client_id !== clientId)
      throw new OAuthError('invalid_request', 'client_id in the body differs from the Basic credentials');
    return { clientId, secret: formDecode(basic.password) };
  }
  if (params.client_id === undefined || params.client_secret === undefined) {
    throw new OAuthError(
      'invalid_client',
      'Client authentication is required: HTTP Basic (client_secret_basic) or client_id and client_secret in the body',
    );
  }
  return { clientId: params.client_id, secret: params.client_secret };
}

/** RFC 6749 §2.3.1: the Basic user-id and password are application/x-www-form-urlencoded first. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials: bad percent-encoding');
  }
}
