import { Inject, Injectable, Logger } from '@nestjs/common';
import { GatehouseUnavailableError, UNAVAILABLE_MESSAGES } from './gatehouse-auth.errors';
import { GATEHOUSE_AUTH_OPTIONS } from './gatehouse-auth.options';
import type { ResolvedGatehouseAuthOptions } from './gatehouse-auth.options';
import { scopeList } from './permissions';

/** Introspection answers remembered at most (one per token; the oldest is forgotten first). */
export const INTROSPECTION_ANSWERS_CACHED = 10_000;

/**
 * What Gatehouse said about one token. A new object per answer, never shared between tokens: the
 * bearer guard keys what it derives from an answer (a `scope_ref` token's permissions) by it.
 */
export interface IntrospectionAnswer {
  readonly active: boolean;
  /** The answer's `scope` (the permissions the token may use now), split once; empty when it had none. */
  readonly permissions: readonly string[];
}

interface Entry {
  answer: IntrospectionAnswer;
  /** Milliseconds since the epoch after which Gatehouse is asked again. */
  until: number;
}

/**
 * Asks Gatehouse whether a (locally verified) token's session is still active, by RFC 7662 token
 * introspection, so a logout or a disabled user is seen within `cacheSeconds` instead of at the
 * token's `exp`. A service client's token has no session: Gatehouse answers for the client (active
 * while it exists and is enabled), and the question is the same. The answer's `scope` resolves a
 * token's `scope_ref`. Each answer, active or not, is reused for `cacheSeconds`; concurrent requests
 * with the same token share one call (single flight). When Gatehouse cannot answer, the check
 * fails closed with GatehouseUnavailableError (503): the token may be fine, so not a 401, and
 * never let through unchecked.
 */
@Injectable()
export class SessionIntrospector {
  private readonly logger = new Logger('GatehouseAuth');
  private readonly config: ResolvedGatehouseAuthOptions['introspection'];
  private readonly answers = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<IntrospectionAnswer>>();

  constructor(@Inject(GATEHOUSE_AUTH_OPTIONS) options: ResolvedGatehouseAuthOptions) {
    this.config = options.introspection;
  }

  /** False when the module was configured without `introspection`: local verification alone decides. */
  get enabled(): boolean {
    return this.config !== undefined;
  }

  /** Gatehouse's remembered answer for the token, or undefined when it must be asked (again). */
  cached(token: string, nowMs = Date.now()): IntrospectionAnswer | undefined {
    const entry = this.answers.get(token);
    if (!entry) return undefined;
    if (nowMs >= entry.until) {
      this.answers.delete(token);
      return undefined;
    }
    return entry.answer;
  }

  /** Whether the token is active (and its scope): the remembered answer, or Gatehouse's (one call per token at a time). */
  answer(token: string): Promise<IntrospectionAnswer> {
    const cached = this.cached(token);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.pending.get(token);
    if (!pending) {
      pending = this.ask(token).finally(() => this.pending.delete(token));
      this.pending.set(token, pending);
    }
    return pending;
  }

  private async ask(token: string): Promise<IntrospectionAnswer> {
    const config = this.config;
    // The guard asks only when introspection is configured; never answer "active" without asking.
    if (!config) throw new Error('Token introspection is not configured');
    let response: Response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: {
          authorization: config.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token }).toString(),
        // The service account's credentials go to the configured URL only, never to a redirect target.
        redirect: 'manual',
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (error) {
      // fetch reports "fetch failed" and puts the reason (ECONNREFUSED, a TLS error) in `cause`.
      const reason = (error as Error).cause ?? (error as Error).message;
      this.logger.warn(`Token introspection at ${config.url.origin} failed: ${String(reason)}`);
      throw new GatehouseUnavailableError(UNAVAILABLE_MESSAGES.introspectionUnreachable, { cause: error });
    }
    const answer = await readAnswer(response);
    if (answer === undefined) {
      this.logger.warn(`Token introspection at ${config.url.origin} answered HTTP ${response.status} without a usable RFC 7662 answer`);
      throw new GatehouseUnavailableError(UNAVAILABLE_MESSAGES.introspectionRefused);
    }
    this.remember(token, answer, Date.now() + config.cacheMs);
    return answer;
  }

  private remember(token: string, answer: IntrospectionAnswer, until: number): void {
    if (this.answers.size >= INTROSPECTION_ANSWERS_CACHED && !this.answers.has(token)) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    this.answers.set(token, { answer, until });
  }
}

/**
 * RFC 7662 §2.2: `active` is the one required member; `scope`, when an active answer has it, is a
 * string (RFC 7662 §2.2, space-separated). Undefined for a non-2xx or unreadable answer.
 */
async function readAnswer(response: Response): Promise<IntrospectionAnswer | undefined> {
  if (!response.ok) {
    // Release the connection without reading a body nobody needs.
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  try {
    const body = (await response.json()) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const { active, scope } = body as { active?: unknown; scope?: unknown };
    if (typeof active !== 'boolean') return undefined;
    if (!active) return { active, permissions: scopeList(undefined) };
    // A scope that is not a string is not Gatehouse's answer: fail closed rather than guess.
    if (scope !== undefined && typeof scope !== 'string') return undefined;
    return { active, permissions: scopeList(scope) };
  } catch {
    return undefined;
  }
}
