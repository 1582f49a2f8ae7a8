import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { hash } from 'node:crypto';
import {
  InsufficientScopeException,
  InvalidCredentialsException,
  MfaEnrolmentRequiredException,
  REALM,
} from '../../common/exceptions/auth.exceptions';
import type { AuthenticatedUser, Identity } from '../../common/interfaces/authenticated-user';
import { appConfig } from '../../config/app.config';
import { KeyStore } from '../../keys/key-store';
import { Permission } from '../../common/permissions';
import { SessionsService } from '../../sessions/sessions.service';
import { identityOf } from '../../users/users.repository';
import { AuthService } from '../auth.service';
import { BasicClientCallers } from '../basic-client-callers';
import { Credentials, parseBasicAuthorization } from '../basic-credentials';
import { SessionStartGates } from '../session-start-gates';
import { BearerAuthGuard } from './bearer-auth.guard';

/** A service's Basic credentials, once verified, are trusted this long at most (and never past REVOCATION_MAX_LAG). */
const BASIC_CACHE_SECONDS = 10;
const BASIC_CACHE_ENTRIES = 1000;
const BASIC_CACHE_KEY_PURPOSE = 'gatehouse introspection basic cache v1';
const BASIC_NEEDS_NO_MFA = 'This account uses a second factor: call introspection with a bearer token of a login that used it';

/** 429 for a caller past INTROSPECTION_RATE_LIMIT requests in the current second. */
class TooManyIntrospectionsException extends HttpException {
  readonly headers = { 'Retry-After': '1' };

  constructor() {
    super('Too many introspection requests from this caller; slow down (INTROSPECTION_RATE_LIMIT)', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** 401 without credentials: either scheme will do (RFC 7235 §4.1 lists both challenges). */
class IntrospectionCredentialsRequired extends UnauthorizedException {
  readonly challenge = `Basic realm="${REALM}", charset="UTF-8", Bearer realm="${REALM}"`;

  constructor() {
    super(
      'Introspection needs the caller’s credentials: Authorization: Basic (a service account) or Bearer (a token with the INTROSPECT role)',
    );
  }
}

type IntrospectionRequest = { headers: Record<string, string | string[] | undefined>; ip?: string; user?: AuthenticatedUser | Identity };

/**
 * Who may call POST /authenticate/introspect (RFC 7662 §2.1: the caller must authenticate): a user
 * or service account holding INTROSPECT (or ADMIN), by HTTP Basic or a bearer token. Basic goes
 * through the same throttled password check as login (a wrong password counts as a failed login);
 * a verified one is remembered for a few seconds, keyed by an HMAC of the credentials, so a busy
 * resource server does not pay argon2 on every call — and forgotten as soon as anything about the
 * account changes (RevocationBus), on any instance. Each caller gets INTROSPECTION_RATE_LIMIT
 * requests a second (per instance).
 */
@Injectable()
export class IntrospectionCallerGuard implements CanActivate, OnModuleInit {
  private readonly basicCache = new Map<string, { identity: Identity; until: number }>();
  private readonly pending = new Map<string, Promise<Identity | null>>();
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly basicCacheMs: number;
  /** A secret prefix: cache keys are SHA-256(prefix ‖ username ‖ NUL ‖ password), never the credentials themselves. */
  private cacheKeyPrefix = '';

  constructor(
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
    private readonly bearer: BearerAuthGuard,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly keys: KeyStore,
    private readonly gates: SessionStartGates,
    private readonly clients: BasicClientCallers,
  ) {
    this.basicCacheMs = Math.min(BASIC_CACHE_SECONDS, config.sessions.revocationMaxLag) * 1000;
  }

  onModuleInit(): void {
    this.cacheKeyPrefix = this.keys.deriveKey(BASIC_CACHE_KEY_PURPOSE).export().toString('base64url');
    this.sessions.onUserChanged((userId) => {
      for (const [key, entry] of this.basicCache) if (userId === undefined || entry.identity.id === userId) this.basicCache.delete(key);
    });
  }

  /** Synchronous when the caller's Basic credentials are cached (the steady state of a busy resource server). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<IntrospectionRequest>();
    const header = request.headers.authorization;
    const basic = typeof header === 'string' ? parseBasicAuthorization(header) : undefined;
    if (basic === 'malformed') {
      throw new InvalidCredentialsException(true, 'Malformed Basic credentials: expected base64(username:password) in UTF-8');
    } else if (basic) {
      const caller = this.basicCaller(basic, request.ip);
      return caller instanceof Promise ? caller.then((identity) => this.admit(identity)) : this.admit(caller);
    } else if (typeof header === 'string') {
      const authenticated = this.bearer.authenticate(context);
      const admitUser = () => this.admit(request.user as AuthenticatedUser);
      return authenticated instanceof Promise ? authenticated.then(admitUser) : admitUser();
    }
    throw new IntrospectionCredentialsRequired();
  }

  private admit(caller: Identity | AuthenticatedUser | null): true {
    if (!caller) throw new InvalidCredentialsException(true);
    if ('restriction' in caller && caller.restriction) throw new MfaEnrolmentRequiredException();
    // The `introspect` permission: the INTROSPECT and ADMIN roles hold it, a service client or a personal access token may be given it.
    if (!caller.permissions.includes(Permission.Introspect)) {
      throw new InsufficientScopeException('Introspection needs the introspect permission (the INTROSPECT role holds it)');
    }
    this.countRequest(caller.id);
    return true;
  }

  private basicCaller(credentials: Credentials, ip: string | undefined): Identity | Promise<Identity | null> {
    // A keyed one-shot hash: several times cheaper than an HMAC object per request, and as good a cache key.
    const key = hash('sha256', `${this.cacheKeyPrefix}${credentials.username}\0${credentials.password}`, 'base64url');
    const cached = this.basicCache.get(key);
    if (cached && cached.until > Date.now()) return cached.identity;
    this.basicCache.delete(key);
    // Concurrent calls with the same credentials share one verification (one argon2, one throttle slot).
    let verification = this.pending.get(key);
    if (!verification) {
      verification = this.verifyBasic(key, credentials, ip).finally(() => this.pending.delete(key));
      this.pending.set(key, verification);
    }
    return verification;
  }

  private async verifyBasic(key: string, credentials: Credentials, ip: string | undefined): Promise<Identity | null> {
    // A service client (its client_id is a UUID) introspects with its secret, as OAuth clients do.
    const client = await this.clients.authenticate(credentials.username, credentials.password, ip);
    if (client !== undefined) return client && this.remember(key, client);
    const user = await this.auth.authenticate(credentials.username, credentials.password, ip);
    if (!user) return null;
    // Basic is for service accounts: an account with a second factor (or required to have one) uses a bearer token.
    if (!(await this.gates.allowsPasswordOnly(user))) throw new InvalidCredentialsException(false, BASIC_NEEDS_NO_MFA);
    return this.remember(key, identityOf(user));
  }

  private remember(key: string, identity: Identity): Identity {
    if (this.basicCacheMs > 0) {
      if (this.basicCache.size >= BASIC_CACHE_ENTRIES) this.basicCache.delete(this.basicCache.keys().next().value as string);
      this.basicCache.set(key, { identity, until: Date.now() + this.basicCacheMs });
    }
    return identity;
  }

  /** A fixed one-second window per caller: the count and the check are one synchronous step, so a burst cannot slip past it. */
  private countRequest(callerId: string): void {
    const second = Math.floor(Date.now() / 1000);
    let window = this.windows.get(callerId);
    if (!window || window.second !== second) {
      if (this.windows.size > 10_000) this.windows.clear();
      window = { second, count: 0 };
      this.windows.set(callerId, window);
    }
    window.count += 1;
    if (window.count > this.config.introspection.ratePerSecond) throw new TooManyIntrospectionsException();
  }
}
