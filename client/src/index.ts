/**
 * @gatehouse/client — the token handling every Gatehouse frontend needs, written once.
 *
 * - The access token lives in memory only (never in localStorage: an injected script could read it).
 * - In cookie mode (browsers, the default) the refresh token is the server's HttpOnly cookie, which no
 *   script can read; in Node (`cookieMode: false`) it is kept in memory, next to the access token.
 * - Before a request, the token's `exp` is read locally and the session refreshed when it expires
 *   within `refreshSkewSeconds`; after a 401 with `error="invalid_token"` it refreshes once and
 *   retries once.
 * - Refreshes are single-flight within a page, and across tabs (Web Locks, BroadcastChannel) so two
 *   tabs never present the same refresh token twice and trip the server's reuse detection.
 *
 * No runtime dependencies: it uses `fetch`, `TextEncoder`, `atob`/`btoa`, and where present
 * `BroadcastChannel` and `navigator.locks`.
 */

export interface GatehouseUser {
  id: string;
  username: string;
  roles: string[];
}

export interface GatehouseClientOptions {
  /** Where Gatehouse runs, e.g. `https://auth.example.org` (no trailing slash needed). */
  baseUrl: string;
  /** Keep the refresh token in the server's HttpOnly cookie (browsers). `false` keeps it in memory (Node). */
  cookieMode?: boolean;
  /** Refresh before a request when the access token expires within this many seconds. Default 30. */
  refreshSkewSeconds?: number;
  /** Called once when the session has really ended (a refresh was refused): show the login screen. */
  onSessionExpired?: () => void;
  /** Called after every successful refresh, here or in another tab (e.g. to show "renewed at …"). */
  onTokenRenewed?: (info: { expiresAt: Date; source: 'this-tab' | 'other-tab' }) => void;
  /**
   * Origins `fetch` may send the access token to. Default: Gatehouse's origin and, in a browser, the
   * page's own. A request elsewhere (a CDN, a third-party API) goes out without it, so the token
   * cannot leak by mistake; list your API origins here when they are on other hosts.
   */
  bearerOrigins?: string[];
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; replaceable for tests. */
  now?: () => number;
}

export interface LoginOptions {
  /** Ask for an access token valid this many seconds (the server caps it). */
  validitySecs?: number;
}

export interface GatehouseClient {
  /** Logs in with Basic credentials; resolves with the user, rejects with a GatehouseError. */
  login(username: string, password: string, options?: LoginOptions): Promise<GatehouseUser>;
  /** `fetch` with the bearer attached, refreshed ahead of expiry and retried once after `invalid_token`. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /**
   * Renews the session now (single-flight, coordinated across tabs). True when a valid access token
   * is held afterwards. In cookie mode this also resumes a session after a page load.
   */
  refresh(options?: { force?: boolean }): Promise<boolean>;
  /** Ends the session on the server and forgets the tokens, here and in the other tabs. */
  logout(): Promise<void>;
  /** The signed-in user as the access token describes it, or null. */
  user(): GatehouseUser | null;
  hasRole(name: string): boolean;
  /** The current access token (for a WebSocket handshake, say), or null. */
  accessToken(): string | null;
  /** Stops listening to other tabs. */
  close(): void;
}

/** A failed login or a refused call, with the server's status and message. */
export class GatehouseError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GatehouseError';
  }
}

interface TokenBlock {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
}

interface Claims {
  sub: string;
  preferred_username?: string;
  roles?: string[];
  exp: number;
}

/** The Web Locks API, where the platform has it (browsers; not Node 20). */
interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

type Message = { type: 'renewed'; accessToken: string } | { type: 'logout' };

/** Where the session stands, as far as this client knows. */
type State =
  | 'unknown' // never checked (page load, or after logout): a refresh may find a session
  | 'active' // holds an access token
  | 'ended'; // a refresh was refused; onSessionExpired has fired; only login() starts again

/** Reads a JWT's payload without verifying it: the server verifies; the client only needs `exp` and names. */
export function decodeClaims(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const base64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Claims>;
    return typeof claims.sub === 'string' && typeof claims.exp === 'number' ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

/** RFC 7617 with UTF-8: base64 of the UTF-8 bytes of `user:password`. */
function basicCredentials(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** RFC 6750 §3.1: the server says the token itself is the problem (expired, revoked, malformed). */
function isInvalidToken(response: Response): boolean {
  return response.status === 401 && /error="invalid_token"/.test(response.headers.get('WWW-Authenticate') ?? '');
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON
  }
  return `HTTP ${response.status}`;
}

export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const cookieMode = options.cookieMode ?? true;
  const skewMs = (options.refreshSkewSeconds ?? 30) * 1000;
  const now = options.now ?? (() => Date.now());
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // Tabs share the refresh cookie, so only cookie mode coordinates; in-memory refresh tokens are per client.
  const channelName = `gatehouse:${baseUrl}`;
  const channel = cookieMode && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(channelName) : null;
  const locks = cookieMode ? (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks : undefined;

  let access: { token: string; claims: Claims } | null = null;
  let refreshToken: string | null = null;
  let validitySecs: number | undefined;
  let state: State = 'unknown';
  /** This client held a session since the last time onSessionExpired fired (a page load has none yet). */
  let hadSession = false;
  let inFlight: Promise<boolean> | null = null;

  const pageOrigin = (globalThis as { location?: { origin?: string } }).location?.origin;
  const bearerOrigins = new Set(
    options.bearerOrigins?.map((o) => new URL(o).origin) ?? [new URL(baseUrl).origin, ...(pageOrigin ? [pageOrigin] : [])],
  );

  const credentials: RequestCredentials = cookieMode ? 'include' : 'same-origin';
  const scriptHeaders = { 'X-Requested-With': 'XMLHttpRequest' };

  function adopt(token: string): boolean {
    const claims = decodeClaims(token);
    if (!claims) return false;
    access = { token, claims };
    state = 'active';
    hadSession = true;
    return true;
  }

  function forget(): void {
    access = null;
    refreshToken = null;
  }

  function expiresSoon(): boolean {
    return !access || access.claims.exp * 1000 - now() <= skewMs;
  }

  /** A refresh was refused. Only a session this page knew "expires": resuming after a page load with no cookie is silent. */
  function sessionEnded(): void {
    forget();
    if (state === 'ended') return;
    state = 'ended';
    if (!hadSession) return;
    hadSession = false;
    options.onSessionExpired?.();
  }

  function url(path: string): string {
    const query = validitySecs !== undefined ? `?validity_secs=${validitySecs}` : '';
    return `${baseUrl}${path}${query}`;
  }

  /** One refresh request. True when renewed; false when the server refused (the session is over). */
  async function refreshOnce(): Promise<boolean> {
    if (!cookieMode && !refreshToken) {
      sessionEnded();
      return false;
    }
    const response = await doFetch(url('/authenticate/refresh'), {
      method: 'POST',
      credentials,
      headers: cookieMode ? scriptHeaders : { ...scriptHeaders, 'Content-Type': 'application/json' },
      body: cookieMode ? undefined : JSON.stringify({ refresh_token: refreshToken }),
    });
    if (response.ok) {
      const block = (await response.json()) as TokenBlock;
      if (!adopt(block.access_token)) throw new GatehouseError('The server returned an unreadable access token', 502);
      if (block.refresh_token) refreshToken = block.refresh_token;
      channel?.postMessage({ type: 'renewed', accessToken: block.access_token } satisfies Message);
      options.onTokenRenewed?.({ expiresAt: new Date(access!.claims.exp * 1000), source: 'this-tab' });
      return true;
    }
    // 400 (no refresh token: no session), 401 (expired, revoked, reused), 403 (no session cookie accepted).
    if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      sessionEnded();
      return false;
    }
    // 429, 5xx: the session may be fine; the caller sees the error and may retry later.
    throw new GatehouseError(await errorMessage(response), response.status);
  }

  /**
   * Single-flight across the page (one promise) and across tabs (a Web Lock): a tab that waited for
   * another tab's refresh finds a fresh token already broadcast to it and does not refresh again.
   */
  /** `stale`: the token the caller found wanting (null: none); a different, fresh token means done. */
  function refresh(stale: string | null, force = false): Promise<boolean> {
    if (inFlight) return inFlight;
    const run = async (): Promise<boolean> => {
      // Renewed meanwhile (another call in this page, or another tab while we waited for the lock).
      if (access && access.token !== stale && !expiresSoon()) return true;
      if (!force && access && !expiresSoon()) return true;
      return refreshOnce();
    };
    inFlight = (locks ? locks.request(`${channelName}:refresh`, run) : run()).finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  /** A token good for at least the skew, refreshing first when needed; null when there is no session. */
  async function currentToken(): Promise<string | null> {
    if (state === 'ended') return null;
    if (expiresSoon() && !(await refresh(access?.token ?? null))) return null;
    return access?.token ?? null;
  }

  function send(request: Request, token: string | null): Promise<Response> {
    const headers = new Headers(request.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return doFetch(new Request(request, { headers }));
  }

  channel?.addEventListener('message', (event) => {
    const message = (event as { data?: Message }).data;
    if (message?.type === 'renewed') {
      const claims = decodeClaims(message.accessToken);
      // Keep whichever token lives longer (messages can cross).
      if (claims && (!access || claims.exp >= access.claims.exp)) {
        adopt(message.accessToken);
        options.onTokenRenewed?.({ expiresAt: new Date(claims.exp * 1000), source: 'other-tab' });
      }
    } else if (message?.type === 'logout') {
      forget();
      state = 'unknown';
    }
  });

  return {
    async login(username, password, loginOptions = {}) {
      validitySecs = loginOptions.validitySecs;
      const query = new URLSearchParams({ cookie: String(cookieMode) });
      if (validitySecs !== undefined) query.set('validity_secs', String(validitySecs));
      const response = await doFetch(`${baseUrl}/authenticate/login?${query}`, {
        method: 'POST',
        credentials,
        // X-Requested-With: the server then sends no Basic challenge, so browsers show no password dialog.
        headers: { ...scriptHeaders, Authorization: basicCredentials(username, password) },
      });
      if (!response.ok) throw new GatehouseError(await errorMessage(response), response.status);
      const body = (await response.json()) as { token: TokenBlock };
      if (!adopt(body.token.access_token)) throw new GatehouseError('The server returned an unreadable access token', 502);
      refreshToken = body.token.refresh_token ?? null;
      channel?.postMessage({ type: 'renewed', accessToken: body.token.access_token } satisfies Message);
      return this.user()!;
    },

    async fetch(input, init) {
      const request = new Request(input instanceof URL ? input.toString() : input, init);
      if (!bearerOrigins.has(new URL(request.url).origin)) return doFetch(request);
      // Kept unread so the request can be sent a second time after a refresh.
      const retry = request.clone();
      const token = await currentToken();
      const response = await send(request, token);
      if (!token || !isInvalidToken(response)) return response;
      if (!(await refresh(token, true)) || !access) return response;
      return send(retry, access.token);
    },

    async refresh(refreshOptions = {}) {
      if (state === 'ended' && !refreshOptions.force) return false;
      if (state === 'ended') state = 'unknown';
      const force = refreshOptions.force ?? false;
      return refresh(force ? (access?.token ?? null) : null, force);
    },

    async logout() {
      const token = access?.token;
      const body = !cookieMode && refreshToken ? JSON.stringify({ refresh_token: refreshToken }) : undefined;
      forget();
      state = 'unknown';
      channel?.postMessage({ type: 'logout' } satisfies Message);
      const headers: Record<string, string> = { ...scriptHeaders };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body) headers['Content-Type'] = 'application/json';
      const response = await doFetch(`${baseUrl}/authenticate/logout`, { method: 'POST', credentials, headers, body });
      // 401: nothing to end (already ended); anything else unexpected is reported.
      if (!response.ok && response.status !== 401) throw new GatehouseError(await errorMessage(response), response.status);
    },

    user() {
      if (!access) return null;
      const { sub, preferred_username, roles } = access.claims;
      return { id: sub, username: preferred_username ?? '', roles: Array.isArray(roles) ? [...roles] : [] };
    },

    hasRole(name) {
      return !!access?.claims.roles?.includes(name);
    },

    accessToken() {
      return access?.token ?? null;
    },

    close() {
      channel?.close();
    },
  };
}
