// The console's one connection to Gatehouse: @gatehouse/client in cookie mode (the refresh token is
// the server's HttpOnly cookie; the access token stays in this module's memory, never in storage),
// and `api()` for the calls the client has no method for, sent through the client's own `fetch`
// (bearer attached, refreshed ahead of expiry, retried once after invalid_token).
import { GatehouseError, createGatehouseClient } from '@gatehouse/client';

export { GatehouseError };

type Listener = () => void;
const expiredListeners = new Set<Listener>();

const otherTabListeners = new Set<Listener>();

export const client = createGatehouseClient({
  baseUrl: location.origin,
  cookieMode: true,
  onSessionExpired: () => expiredListeners.forEach((listener) => listener()),
  onTokenRenewed: ({ source }) => {
    if (source === 'other-tab') otherTabListeners.forEach((listener) => listener());
  },
});

/** Called when the session ends under the page (a refresh refused, or signed out in another tab). */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

/**
 * Called when another tab signed in or renewed the session, and this page now holds that tab's
 * token — possibly another user's, after a sign-in there: the page must check whose it is.
 */
export function onOtherTabToken(listener: Listener): () => void {
  otherTabListeners.add(listener);
  return () => otherTabListeners.delete(listener);
}

const signInAgainListeners = new Set<Listener>();

/**
 * Whether the API refused a call because the sign-in is not recent or strong enough for it (401
 * `insufficient_user_authentication`, RFC 9470: `max_age` or `acr_values=mfa`). Gatehouse's answer
 * to that is a new sign-in (docs/mfa.md), which the console offers right there.
 */
export function needsSignInAgain(error: unknown): boolean {
  return error instanceof GatehouseError && error.code === 'insufficient_user_authentication';
}

/** Asks the console to end this session and sign in again, coming back to the same page. */
export function signInAgain(): void {
  signInAgainListeners.forEach((listener) => listener());
}

export function onSignInAgain(listener: Listener): () => void {
  signInAgainListeners.add(listener);
  return () => signInAgainListeners.delete(listener);
}

/** The error body's `message` (docs/errors.md), the text every page shows when a call fails. */
export function messageOf(error: unknown): string {
  if (error instanceof GatehouseError) return error.message;
  if (error instanceof DOMException && error.name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out.';
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A refused call as a GatehouseError with the body's message and code. */
export async function errorOf(response: Response): Promise<GatehouseError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed = (await response.json()) as unknown;
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  const message = typeof body.message === 'string' ? body.message : `The server answered ${response.status} ${response.statusText}`;
  const code = typeof body.code === 'string' ? body.code : undefined;
  const retry = response.headers.get('Retry-After');
  return new GatehouseError(message, response.status, code, retry && /^\d+$/.test(retry) ? { retryAfter: Number(retry) } : {});
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A JSON call to the API as the signed-in user. Resolves with the parsed body (undefined for 204),
 * rejects with a GatehouseError carrying the body's `message` and `code`.
 */
export async function api<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest', Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await client.fetch(`${location.origin}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

/** A call to the API as text (e.g. a CSV export), with the same errors as `api()`. */
export async function apiText(path: string, accept = 'text/csv'): Promise<string> {
  const response = await client.fetch(`${location.origin}${path}`, { headers: { 'X-Requested-With': 'XMLHttpRequest', Accept: accept } });
  if (!response.ok) throw await errorOf(response);
  return response.text();
}

/** A public (no session) JSON GET, e.g. the list of OIDC providers for the sign-in page. */
export async function publicGet<T>(path: string): Promise<T> {
  const response = await fetch(`${location.origin}${path}`, { headers: { 'X-Requested-With': 'XMLHttpRequest' }, credentials: 'omit' });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** The principal as the server sees it (GET /authenticate/me): permissions are the server's, not the token's hint. */
export interface Principal {
  id: string;
  username: string;
  roles: string[];
  permissions: string[];
  exp: number;
  amr?: string[];
  auth_time?: number;
  restriction?: string;
}

export function whoAmI(): Promise<Principal> {
  return api<Principal>('GET', '/authenticate/me');
}
