import { Injectable } from '@nestjs/common';
import { InvalidTokenException } from '../../common/exceptions/auth.exceptions';
import { extractBearerToken } from '../bearer-token';
import type { BearerVerifier, PresentedToken } from './bearer-verifier';
import { GatehouseTokenVerifier } from './gatehouse-token.verifier';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The ordered list of bearer verifiers: Gatehouse's own first, then those other modules register
 * (federation's service accounts, …). A token goes to the first verifier that claims it by its
 * issuer and header. A token nobody claims is refused for its issuer; one that cannot even be decoded
 * goes to Gatehouse's own verifier, whose 401 says what is malformed.
 */
@Injectable()
export class BearerVerifiers {
  private readonly verifiers: BearerVerifier[];

  constructor(readonly own: GatehouseTokenVerifier) {
    this.verifiers = [own];
  }

  /** Adds a verifier after those already registered (modules call this at start-up). */
  register(verifier: BearerVerifier): void {
    this.verifiers.push(verifier);
  }

  /** The token a request presents: `X-JWT-Assertion` when a verifier reads it, else `Authorization: Bearer`. */
  present(headers: Headers): PresentedToken | undefined {
    const assertion = headers['x-jwt-assertion'];
    if (typeof assertion === 'string' && assertion && this.verifiers.some((v) => v.acceptsAssertions))
      return { raw: assertion, source: 'assertion' };
    const token = extractBearerToken({ headers });
    return token ? { raw: token, source: 'authorization' } : undefined;
  }

  /** The verifier for a token (undefined: no token at all — Gatehouse's verifier then says it is missing). */
  select(token: PresentedToken | undefined): BearerVerifier {
    if (!token) return this.own;
    decode(token);
    const candidates = token.source === 'assertion' ? this.verifiers.filter((v) => v.acceptsAssertions) : this.verifiers;
    // Opaque credentials (personal access tokens, by their prefix) are claimed like JWSs (by their issuer).
    const claimant = candidates.find((verifier) => verifier.claims(token));
    if (claimant) return claimant;
    if (token.header === undefined) return token.source === 'authorization' ? this.own : MALFORMED;
    return UNKNOWN_ISSUER;
  }
}

/** Fills in the header and issuer of a compact JWS, without verifying anything; leaves them undefined otherwise. */
function decode(token: PresentedToken): void {
  const parts = token.raw.split('.');
  if (parts.length !== 3 || token.raw.length > 16_384) return;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return;
    token.header = header;
    token.issuer = payload.iss;
    token.payload = payload;
  } catch {
    // not a JWS: left undecoded
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const refuse = (name: string, message: string): BearerVerifier => ({
  name,
  acceptsAssertions: true,
  cacheable: false,
  claims: () => true,
  verify: () => Promise.reject(new InvalidTokenException(message)),
});

/** An `X-JWT-Assertion` that is not a JWS at all. */
const MALFORMED = refuse('malformed', 'The token is malformed');

/** What nobody else claims: a token from an issuer Gatehouse does not know. */
const UNKNOWN_ISSUER = refuse('unknown issuer', 'The token issuer is not accepted: it names an unknown provider, not Gatehouse');
