import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenVerifier } from './access-token.verifier';
import type { AuthenticatedUser } from './authenticated-user';
import { extractBearerToken } from './bearer-token';
import { GatehouseUnavailableError, InvalidTokenError, TOKEN_MESSAGES } from './gatehouse-auth.errors';
import { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
import type { ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
import { invalidTokenException, unavailableException } from './http-errors';
import { hasUnresolvedScope } from './permissions';
import { IS_PUBLIC_KEY } from './public.decorator';
import { routeMetadata } from './route-metadata';
import { SessionIntrospector } from './session-introspector';
import type { IntrospectionAnswer } from './session-introspector';
import { VERIFIED_TOKENS_CACHED, VerifiedTokenCache } from './verified-token-cache';

type BearerRequest = { headers: Record<string, string | string[] | undefined>; user?: AuthenticatedUser };

/**
 * The global bearer guard (deny by default; `@Public()` opts out). A token is verified once by
 * AccessTokenVerifier and then remembered until its `exp`, so later requests with it skip the
 * signature check; with introspection on, its session is also checked at Gatehouse, at most once per
 * `cacheSeconds`, and a token's `scope_ref` is resolved by the answer's `scope`. Every refusal answers
 * in Gatehouse's error shape with its WWW-Authenticate challenge.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly isPublic: (context: ExecutionContext) => boolean | undefined;
  private readonly verified: VerifiedTokenCache;
  private readonly realm: string;
  /** The principals of `scope_ref` tokens with the permissions an introspection answer gave them. */
  private readonly resolvedScopes = new WeakMap<IntrospectionAnswer, AuthenticatedUser>();

  constructor(
    reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
    private readonly introspector: SessionIntrospector,
    @Inject(GATEHOUSE_AUTH_OPTIONS) options: ResolvedGatehouseAuthOptions,
  ) {
    this.isPublic = routeMetadata<boolean>(reflector, IS_PUBLIC_KEY);
    this.verified = new VerifiedTokenCache(VERIFIED_TOKENS_CACHED, options.clockTolerance);
    this.realm = options.realm;
  }

  /** Synchronous when the token (and its introspection answer, if any) is cached: no promise on the hot path. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<BearerRequest>();
    const token = extractBearerToken(request.headers.authorization);
    if (!token) throw this.refusal(context, new InvalidTokenError(TOKEN_MESSAGES.missing));
    const known = this.verified.get(token);
    if (known) {
      if (!this.introspector.enabled) {
        request.user = known;
        return true;
      }
      const answer = this.introspector.cached(token);
      if (answer) {
        try {
          request.user = this.admit(known, answer);
        } catch (error) {
          throw this.refusal(context, error);
        }
        return true;
      }
    }
    return this.authenticate(context, request, token, known);
  }

  private async authenticate(
    context: ExecutionContext,
    request: BearerRequest,
    token: string,
    known?: AuthenticatedUser,
  ): Promise<boolean> {
    try {
      let user = known;
      if (!user) {
        user = await this.verifier.verify(token);
        this.verified.set(token, user);
      }
      if (this.introspector.enabled) user = this.admit(user, await this.introspector.answer(token));
      request.user = user;
      return true;
    } catch (error) {
      throw this.refusal(context, error);
    }
  }

  /**
   * The principal of a verified token by Gatehouse's introspection answer: refused when inactive; for
   * a `scope_ref` token, a copy holding the answer's permissions, made once per answer (the answer
   * object is the key, and a fresh answer after `cacheSeconds` brings fresh permissions).
   */
  private admit(user: AuthenticatedUser, answer: IntrospectionAnswer): AuthenticatedUser {
    if (!answer.active) throw new InvalidTokenError(user.clientId === undefined ? TOKEN_MESSAGES.revoked : TOKEN_MESSAGES.clientRevoked);
    if (!hasUnresolvedScope(user)) return user;
    let resolved = this.resolvedScopes.get(answer);
    if (!resolved) {
      resolved = Object.freeze({ ...user, permissions: answer.permissions as string[] });
      this.resolvedScopes.set(answer, resolved);
    }
    return resolved;
  }

  /** The HTTP answer to a refusal; anything else (a bug) goes on to the host's exception filter as it is. */
  private refusal(context: ExecutionContext, error: unknown): unknown {
    if (error instanceof InvalidTokenError) return invalidTokenException(context, this.realm, error.message);
    if (error instanceof GatehouseUnavailableError) return unavailableException(context, error.message);
    return error;
  }
}
