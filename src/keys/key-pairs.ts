import { type JWK, calculateJwkThumbprint } from 'jose';
import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AccessTokenAlgorithm } from '../config/app.config';

/** An asymmetric JWS algorithm Gatehouse signs with (every one of ACCESS_TOKEN_ALGORITHMS but HS512). */
export type KeyPairAlgorithm = Exclude<AccessTokenAlgorithm, 'HS512'>;
export const KEY_PAIR_ALGORITHMS: readonly KeyPairAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256'];

/** RSA keys below this size are refused (NIST SP 800-57: 2048 bits at least; RFC 7518 §3.3 likewise). */
const MIN_RSA_BITS = 2048;

/** A public key as published in the JWKS (RFC 7517), named by its RFC 7638 thumbprint. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** A new private key for `alg` (Ed25519, P-256, or RSA 2048 bits). */
export function generatePrivateKey(alg: KeyPairAlgorithm): KeyObject {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

/** Reads a PEM private key (PKCS#8, or the PKCS#1 / SEC1 forms OpenSSL writes); a message says what is wrong. */
export function readPrivateKey(pem: string, alg: KeyPairAlgorithm, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`${where} does not hold a PEM private key (an unencrypted "BEGIN PRIVATE KEY" block)`);
  }
  const problem = unsuitable(key, alg);
  if (problem) throw new Error(`${where}: ${problem}`);
  return key;
}

/** Why a key cannot sign `alg` (RFC 8725 §3.1: one key, one algorithm), or undefined. */
function unsuitable(key: KeyObject, alg: KeyPairAlgorithm): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'EdDSA':
      return type === 'ed25519' ? undefined : `EdDSA needs an Ed25519 key, not ${type}`;
    case 'ES256':
      return type === 'ec' && details.namedCurve === 'prime256v1' ? undefined : `ES256 needs an EC P-256 key, not ${describe(key)}`;
    case 'RS256':
    case 'PS256':
      if (type !== 'rsa') return `${alg} needs an RSA key, not ${describe(key)}`;
      return (details.modulusLength ?? 0) >= MIN_RSA_BITS ? undefined : `RSA keys need at least ${MIN_RSA_BITS} bits`;
  }
}

function describe(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType);
}

/** The private key as PKCS#8 PEM, for storage. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The public half and its JWK, named by its RFC 7638 thumbprint (the `kid` tokens carry). */
export async function publicJwkOf(privateKey: KeyObject, alg: KeyPairAlgorithm): Promise<{ publicKey: KeyObject; jwk: PublicJwk }> {
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const kid = await calculateJwkThumbprint(exported as unknown as JWK, 'sha256');
  // Only the public members, in a fixed order; never `d` or the RSA primes.
  const members = ['kty', 'crv', 'x', 'y', 'n', 'e'].filter((name) => exported[name] !== undefined);
  const jwk = { ...Object.fromEntries(members.map((name) => [name, exported[name]])), kid, alg, use: 'sig' } as PublicJwk;
  return { publicKey, jwk };
}
