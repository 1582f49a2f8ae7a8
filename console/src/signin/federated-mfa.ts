import { GatehouseError, type MfaChallenge, type MfaMethod, type WebAuthnRequestOptionsJSON, browserWebAuthn } from '@gatehouse/client';
import { client, errorOf } from '../api';

/**
 * Back from an OpenID Connect provider when MFA_REQUIRED_ROLES names the user and the provider did
 * not report a second factor: the callback redirects to `/console/#mfa_token=…&methods=…` (see
 * docs/mfa.md, "Federated users"), and the login ends with POST /authenticate/mfa as after a password.
 * The session then is in the refresh cookie, which the client resumes.
 */
let pending: MfaChallenge | null = null;

/** Reads (and forgets) a federated second-factor step from the address's fragment. True when there was one. */
export function takeFederatedMfaFromHash(hash: string): boolean {
  if (!hash.startsWith('#mfa_token=')) return false;
  const params = new URLSearchParams(hash.slice(1));
  const mfaToken = params.get('mfa_token') ?? '';
  const methods = (params.get('methods') ?? '').split(',').filter(Boolean) as MfaMethod[];
  pending = federatedChallenge(mfaToken, methods);
  return true;
}

/** Whether a federated second-factor step is waiting (and its mfa_token has not expired). */
export function hasPendingFederatedMfa(): boolean {
  if (pending && pending.expiresAt.getTime() <= Date.now()) pending = null;
  return pending !== null;
}

/** The pending federated second-factor step, once. */
export function pendingFederatedMfa(): MfaChallenge | null {
  const challenge = hasPendingFederatedMfa() ? pending : null;
  pending = null;
  return challenge;
}

const HEADERS = { 'X-Requested-With': 'XMLHttpRequest', 'Content-Type': 'application/json' };

function post(path: string, body: object): Promise<Response> {
  return fetch(`${location.origin}${path}`, { method: 'POST', credentials: 'same-origin', headers: HEADERS, body: JSON.stringify(body) });
}

function federatedChallenge(mfaToken: string, methods: MfaMethod[]): MfaChallenge {
  return {
    mfaRequired: true,
    methods,
    expiresAt: new Date(Date.now() + 5 * 60_000),
    async complete(factor) {
      let proof: object;
      if (factor === 'passkey') {
        const options = await post('/authenticate/mfa/webauthn-options', { mfa_token: mfaToken });
        if (!options.ok) throw await errorOf(options);
        proof = { webauthn: await browserWebAuthn().authenticate((await options.json()) as WebAuthnRequestOptionsJSON) };
      } else {
        const compact = factor.replace(/\s+/g, '');
        proof = /^\d{6}$/.test(compact) ? { totp: compact } : { recovery_code: factor.trim() };
      }
      const answer = await post('/authenticate/mfa?cookie=true', { mfa_token: mfaToken, ...proof });
      if (!answer.ok) throw await errorOf(answer);
      await answer.arrayBuffer();
      if (!(await client.refresh({ force: true }))) throw new GatehouseError('The new session could not be resumed: sign in again', 401);
      return client.user()!;
    },
  };
}
