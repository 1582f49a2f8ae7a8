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
 * - Logins with a second factor (`login(…, { mfa: true })`), passwordless passkey logins and passkey
 *   registration, with the browser's WebAuthn API.
 * - Password reset by e-mail (`forgotPassword`, `resetPassword`) and e-mail verification (`verifyEmail`).
 *
 * No runtime dependencies: it uses `fetch`, `TextEncoder`, `atob`/`btoa`, and where present
 * `BroadcastChannel`, `navigator.locks` and `navigator.credentials`.
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
  /**
   * Called once when the session has really ended — a refresh was refused, or it was signed out in
   * another tab of the same origin (cookie mode): show the login screen.
   */
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
  /**
   * How to run a WebAuthn ceremony (passkeys). Default: `browserWebAuthn()`, the browser's
   * `navigator.credentials`. Pass another to use a library such as @simplewebauthn/browser.
   */
  webauthn?: WebAuthnCeremonies;
  /** Milliseconds since the epoch; replaceable for tests. */
  now?: () => number;
}

export interface LoginOptions {
  /** Ask for an access token valid this many seconds (the server caps it). */
  validitySecs?: number;
  /**
   * A down-scoped session: the permissions its tokens may use, space-separated (a subset of the
   * user's; more is rejected with `invalid_scope`). Default: all the user's permissions.
   */
  scope?: string;
  /**
   * `true`: resolve to a `LoginStep` — `{ mfaRequired: true, methods, complete }` when the user has a
   * second factor, instead of rejecting with `mfa_required`. Default false (resolve to the user).
   */
  mfa?: boolean;
}

/** A second factor the server can finish a login with. */
export type MfaMethod = 'totp' | 'recovery_code' | 'webauthn';

/** What `login(…, { mfa: true })` resolves to: signed in, or a second factor to ask for. */
export type LoginStep = { mfaRequired: false; user: GatehouseUser } | MfaChallenge;

/** The password was right and the user has a second factor: ask for it, then call `complete`. */
export interface MfaChallenge {
  mfaRequired: true;
  /** The factors this user has, in the server's words. */
  methods: MfaMethod[];
  /** The challenge ends then (5 minutes after the password step); start over with `login` after it. */
  expiresAt: Date;
  /**
   * Finishes the login: a 6-digit code from the authenticator app, a recovery code (`ABCD-EFGH-JKMN`),
   * or `'passkey'` to ask the browser for one of the user's passkeys. Resolves with the user. Rejects
   * with a GatehouseError whose `code` is `invalid_second_factor` (wrong code: call again) or
   * `invalid_mfa_token` (expired or used: log in again); a cancelled passkey prompt rejects with the
   * browser's DOMException (`NotAllowedError`).
   */
  complete(factor: string): Promise<GatehouseUser>;
}

/** A registered passkey, as the server describes it. */
export interface Passkey {
  id: string;
  name: string;
  deviceType: string;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface RegisteredPasskey {
  passkey: Passkey;
  /** Present when this passkey is the user's first second factor: ten single-use codes, shown once. */
  recoveryCodes?: string[];
}

/**
 * Whom a reset link is for: a username, or an e-mail address (it must be verified to get a link). Say
 * which: usernames may contain `@`, so the client does not guess from the text.
 */
export type PasswordResetRequest = { username: string; email?: never } | { email: string; username?: never };

/**
 * A second factor for `resetPassword`: a string as for `MfaChallenge.complete` (6 digits are a TOTP
 * code, anything else a recovery code), or said explicitly. Passkeys cannot be used on a reset.
 */
export type ResetSecondFactor = string | { totp: string } | { recoveryCode: string };

export interface GatehouseClient {
  /**
   * Logs in with Basic credentials; resolves with the user, rejects with a GatehouseError (`code`
   * `mfa_required` when the user has a second factor: ask with `{ mfa: true }` to handle it).
   */
  login(username: string, password: string, options?: LoginOptions & { mfa?: false }): Promise<GatehouseUser>;
  /** Logs in with Basic credentials and resolves to the next step: signed in, or a second factor to give. */
  login(username: string, password: string, options: LoginOptions & { mfa: true }): Promise<LoginStep>;
  /** Passwordless login: the browser offers the passkeys it holds for this site; the user picks one. */
  loginWithPasskey(options?: Pick<LoginOptions, 'validitySecs' | 'scope'>): Promise<GatehouseUser>;
  /** Registers a passkey of this device for the signed-in user, under `name` (e.g. "Laptop"). */
  registerPasskey(name: string): Promise<RegisteredPasskey>;
  /**
   * Asks for a password-reset link by e-mail. Resolves whenever the server accepted the request,
   * whether or not an account matches (the server answers the same either way, so show one neutral
   * message). Rejects with a GatehouseError: 429 (too many requests; `retryAfter` seconds), 404 (e-mail
   * is not configured on the server), 400 (malformed).
   */
  forgotPassword(request: PasswordResetRequest): Promise<void>;
  /**
   * Sets a new password with the token of a reset link (its `token` query parameter). Every session of
   * the user ends; sign in with the new password afterwards. Rejects with a GatehouseError whose `code` is
   * `invalid_link` (unknown, expired, used, or the password changed since: ask for a new link),
   * `mfa_required` (the user has a second factor: ask for a code, offer `methods`, call again with it),
   * `invalid_second_factor` (wrong code: the link still works), or no code and status 400 for a
   * password the policy refuses (the message says why).
   */
  resetPassword(token: string, newPassword: string, factor?: ResetSecondFactor): Promise<void>;
  /**
   * Confirms an e-mail address with the token of a verification link. Rejects with `code`
   * `invalid_link` when it is unknown, expired, used, or the address changed since.
   */
  verifyEmail(token: string): Promise<void>;
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
  /**
   * Whether the current access token carries this permission in its `scope` (what the server's
   * `@RequirePermissions()` checks). A hint for the interface: the server decides, with the
   * permissions the user holds now. False for a token whose scope is too large to carry (`scope_ref`).
   */
  hasPermission(name: string): boolean;
  /** The current access token (for a WebSocket handshake, say), or null. */
  accessToken(): string | null;
  /** Stops listening to other tabs. */
  close(): void;
}

/**
 * A failed login or a refused call, with the server's status and message, and its machine-readable
 * `code` (Gatehouse's docs/errors.md: `token_expired`, `invalid_credentials`, `mfa_required`,
 * `invalid_second_factor`, `invalid_passkey`, `invalid_link`, `rate_limited`, …).
 */
export class GatehouseError extends Error {
  /** With `mfa_required`: the second factors the user can give. */
  readonly methods?: MfaMethod[];
  /** With a 429: seconds to wait before trying again (the server's Retry-After). */
  readonly retryAfter?: number;

  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    extra: { methods?: MfaMethod[]; retryAfter?: number } = {},
  ) {
    super(message);
    this.name = 'GatehouseError';
    if (extra.methods) this.methods = extra.methods;
    if (extra.retryAfter !== undefined) this.retryAfter = extra.retryAfter;
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
  /** Space-separated permissions. */
  scope?: string;
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

/** The server's error body (`{ status, error, message, … }`) as a GatehouseError, and the body for its extra fields. */
async function failure(response: Response): Promise<{ error: GatehouseError; body: Record<string, unknown> }> {
  let body: Record<string, unknown> = {};
  try {
    const parsed = (await response.json()) as unknown;
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  const message = typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
  // The body's stable `code` (`token_expired`, `mfa_required`, …); from an older server, a snake_case
  // `error` is a code too (otherwise it is the status text, "Unauthorized").
  const code =
    typeof body.code === 'string'
      ? body.code
      : typeof body.error === 'string' && /^[a-z]+(_[a-z]+)*$/.test(body.error)
        ? body.error
        : undefined;
  const methods = Array.isArray(body.methods) ? (body.methods as MfaMethod[]) : undefined;
  // Seconds (RFC 9110 §10.2.3 also allows a date; Gatehouse sends seconds). Readable cross-origin: the server exposes it.
  const retryAfterHeader = response.headers.get('Retry-After');
  const retryAfter = retryAfterHeader && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  return { error: new GatehouseError(message, response.status, code, { methods, retryAfter }), body };
}

async function errorOf(response: Response): Promise<GatehouseError> {
  return (await failure(response)).error;
}

/** A 6-digit TOTP code (spaces allowed, as apps show `123 456`); anything else is taken for a recovery code. */
function secondFactorBody(factor: string): { totp: string } | { recovery_code: string } {
  const compact = factor.replace(/\s+/g, '');
  return /^\d{6}$/.test(compact) ? { totp: compact } : { recovery_code: factor.trim() };
}

function resetFactorBody(factor: ResetSecondFactor | undefined): object {
  if (factor === undefined) return {};
  if (typeof factor === 'string') return secondFactorBody(factor);
  return 'totp' in factor ? { totp: factor.totp.replace(/\s+/g, '') } : { recovery_code: factor.recoveryCode.trim() };
}

// ---------------------------------------------------------------------------------------------
// WebAuthn. The server speaks the JSON forms of the W3C WebAuthn Level 3 dictionaries (base64url
// for every binary field); the browser's navigator.credentials wants and returns ArrayBuffers.
// Newer browsers convert natively (PublicKeyCredential.parse…FromJSON, credential.toJSON()); for
// the others the few binary fields are converted here. The types are declared here rather than
// taken from lib.dom, so the package's declarations also compile for Node consumers without it;
// options are typed as narrowly as the spec and responses loosely, so @simplewebauthn/browser's
// startAuthentication / startRegistration fit WebAuthnCeremonies as they are.
// ---------------------------------------------------------------------------------------------

export type WebAuthnTransport = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb';
export type WebAuthnUserVerification = 'required' | 'preferred' | 'discouraged';
export type WebAuthnHint = 'hybrid' | 'security-key' | 'client-device';

export interface WebAuthnCredentialDescriptorJSON {
  id: string;
  type: 'public-key';
  transports?: WebAuthnTransport[];
}

/** PublicKeyCredentialRequestOptionsJSON (what the server sends for a login). */
export interface WebAuthnRequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: WebAuthnCredentialDescriptorJSON[];
  userVerification?: WebAuthnUserVerification;
  hints?: WebAuthnHint[];
  extensions?: object;
}

/** PublicKeyCredentialCreationOptionsJSON (what the server sends to register a passkey). */
export interface WebAuthnCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { alg: number; type: 'public-key' }[];
  timeout?: number;
  excludeCredentials?: WebAuthnCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: 'platform' | 'cross-platform';
    residentKey?: 'required' | 'preferred' | 'discouraged';
    requireResidentKey?: boolean;
    userVerification?: WebAuthnUserVerification;
  };
  hints?: WebAuthnHint[];
  attestation?: 'direct' | 'enterprise' | 'indirect' | 'none';
  extensions?: object;
}

/** AuthenticationResponseJSON (an assertion, sent back to the server). */
export interface WebAuthnAuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  authenticatorAttachment?: string;
  clientExtensionResults: object;
}

/** RegistrationResponseJSON (a new credential, sent back to the server). */
export interface WebAuthnRegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData?: string;
    transports?: string[];
    publicKeyAlgorithm?: number;
    publicKey?: string;
  };
  authenticatorAttachment?: string;
  clientExtensionResults: object;
}

/** The two WebAuthn ceremonies, JSON in and out. */
export interface WebAuthnCeremonies {
  /** navigator.credentials.get: an assertion by one of the user's passkeys. */
  authenticate(options: WebAuthnRequestOptionsJSON): Promise<WebAuthnAuthenticationResponseJSON>;
  /** navigator.credentials.create: a new passkey. */
  register(options: WebAuthnCreationOptionsJSON): Promise<WebAuthnRegistrationResponseJSON>;
}

function fromBase64url(value: string): ArrayBuffer {
  const base64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64url(value: ArrayBuffer | ArrayBufferView): string {
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function descriptors(list: WebAuthnCredentialDescriptorJSON[] | undefined): PublicKeyCredentialDescriptor[] | undefined {
  return list?.map((d) => ({ ...d, id: fromBase64url(d.id), transports: d.transports as AuthenticatorTransport[] | undefined }));
}

/** The part of PublicKeyCredential a ceremony's result is read through (toJSON where the browser has it). */
type CredentialResult = PublicKeyCredential & { toJSON?: () => unknown };

/** The JSON helpers the platform may have (Chrome 129+, Firefox 119+, Safari 18.4+). */
interface PublicKeyCredentialStatics {
  parseRequestOptionsFromJSON?: (options: WebAuthnRequestOptionsJSON) => PublicKeyCredentialRequestOptions;
  parseCreationOptionsFromJSON?: (options: WebAuthnCreationOptionsJSON) => PublicKeyCredentialCreationOptions;
}

function requestOptions(json: WebAuthnRequestOptionsJSON, statics?: PublicKeyCredentialStatics): PublicKeyCredentialRequestOptions {
  if (statics?.parseRequestOptionsFromJSON) return statics.parseRequestOptionsFromJSON(json);
  return {
    ...(json as Omit<WebAuthnRequestOptionsJSON, 'userVerification'>),
    userVerification: json.userVerification as UserVerificationRequirement | undefined,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

function creationOptions(json: WebAuthnCreationOptionsJSON, statics?: PublicKeyCredentialStatics): PublicKeyCredentialCreationOptions {
  if (statics?.parseCreationOptionsFromJSON) return statics.parseCreationOptionsFromJSON(json);
  return {
    ...(json as unknown as PublicKeyCredentialCreationOptions),
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function assertionJSON(credential: CredentialResult): WebAuthnAuthenticationResponseJSON {
  if (typeof credential.toJSON === 'function') return credential.toJSON() as WebAuthnAuthenticationResponseJSON;
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      ...(response.userHandle ? { userHandle: toBase64url(response.userHandle) } : {}),
    },
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  };
}

function registrationJSON(credential: CredentialResult): WebAuthnRegistrationResponseJSON {
  if (typeof credential.toJSON === 'function') return credential.toJSON() as WebAuthnRegistrationResponseJSON;
  const response = credential.response as AuthenticatorAttestationResponse;
  // Each getter is missing in some older browser; the server needs only clientDataJSON and attestationObject.
  const publicKey = response.getPublicKey?.();
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      ...(response.getAuthenticatorData ? { authenticatorData: toBase64url(response.getAuthenticatorData()) } : {}),
      ...(response.getTransports ? { transports: response.getTransports() } : {}),
      ...(response.getPublicKeyAlgorithm ? { publicKeyAlgorithm: response.getPublicKeyAlgorithm() } : {}),
      ...(publicKey ? { publicKey: toBase64url(publicKey) } : {}),
    },
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  };
}

/**
 * The WebAuthn ceremonies through the browser's `navigator.credentials` (looked up at each ceremony).
 * Starting a ceremony cancels one still waiting, as browsers allow only one at a time.
 */
export function browserWebAuthn(): WebAuthnCeremonies {
  let pending: AbortController | null = null;
  const platform = () => {
    const credentials = (globalThis as { navigator?: { credentials?: CredentialsContainer } }).navigator?.credentials;
    if (!credentials) throw new GatehouseError('This browser does not support passkeys (WebAuthn)', 0, 'webauthn_unsupported');
    const statics = (globalThis as { PublicKeyCredential?: PublicKeyCredentialStatics }).PublicKeyCredential;
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    return { credentials, statics, signal: controller.signal };
  };
  const done = (signal: AbortSignal) => {
    if (pending?.signal === signal) pending = null;
  };
  return {
    async authenticate(options) {
      const { credentials, statics, signal } = platform();
      try {
        const credential = await credentials.get({ publicKey: requestOptions(options, statics), signal });
        if (!credential) throw new GatehouseError('No passkey was chosen', 0, 'webauthn_cancelled');
        return assertionJSON(credential as CredentialResult);
      } finally {
        done(signal);
      }
    },
    async register(options) {
      const { credentials, statics, signal } = platform();
      try {
        const credential = await credentials.create({ publicKey: creationOptions(options, statics), signal });
        if (!credential) throw new GatehouseError('No passkey was created', 0, 'webauthn_cancelled');
        return registrationJSON(credential as CredentialResult);
      } finally {
        done(signal);
      }
    },
  };
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
  /** The scope the last login asked for (sent with the request that starts the session). */
  let scope: string | undefined;
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
  const jsonHeaders = { ...scriptHeaders, 'Content-Type': 'application/json' };
  let webauthn = options.webauthn;
  const ceremonies = (): WebAuthnCeremonies => (webauthn ??= browserWebAuthn());

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
    throw await errorOf(response);
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

  async function authorizedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input instanceof URL ? input.toString() : input, init);
    if (!bearerOrigins.has(new URL(request.url).origin)) return doFetch(request);
    // Kept unread so the request can be sent a second time after a refresh.
    const retry = request.clone();
    const token = await currentToken();
    const response = await send(request, token);
    if (!token || !isInvalidToken(response)) return response;
    if (!(await refresh(token, true)) || !access) return response;
    return send(retry, access.token);
  }

  function currentUser(): GatehouseUser | null {
    if (!access) return null;
    const { sub, preferred_username, roles } = access.claims;
    return { id: sub, username: preferred_username ?? '', roles: Array.isArray(roles) ? [...roles] : [] };
  }

  /** A request that may start a session (login, second factor, passkey): with `?cookie=` and `?validity_secs=`. */
  function startSession(path: string, init: RequestInit): Promise<Response> {
    const query = new URLSearchParams({ cookie: String(cookieMode) });
    if (validitySecs !== undefined) query.set('validity_secs', String(validitySecs));
    if (scope !== undefined) query.set('scope', scope);
    return doFetch(`${baseUrl}${path}?${query}`, { method: 'POST', credentials, ...init });
  }

  /** A JSON request to a public route that starts no session (no cookie sent, no bearer). */
  function publicPost(path: string, body: object): Promise<Response> {
    return doFetch(`${baseUrl}${path}`, { method: 'POST', credentials: 'omit', headers: jsonHeaders, body: JSON.stringify(body) });
  }

  /** A login answer (`{ user, token }`): hold its tokens and tell the other tabs. */
  async function sessionStarted(response: Response): Promise<GatehouseUser> {
    const body = (await response.json()) as { token: TokenBlock };
    if (!adopt(body.token.access_token)) throw new GatehouseError('The server returned an unreadable access token', 502);
    refreshToken = body.token.refresh_token ?? null;
    channel?.postMessage({ type: 'renewed', accessToken: body.token.access_token } satisfies Message);
    return currentUser()!;
  }

  /** The second step of a login, for the mfa_token of a 401 mfa_required. */
  function mfaChallenge(body: Record<string, unknown>): MfaChallenge {
    const mfaToken = body.mfa_token as string;
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
    return {
      mfaRequired: true,
      methods: Array.isArray(body.methods) ? (body.methods as MfaMethod[]) : [],
      expiresAt: new Date(now() + expiresIn * 1000),
      async complete(factor) {
        let proof: object;
        if (factor === 'passkey') {
          const optionsResponse = await doFetch(`${baseUrl}/authenticate/mfa/webauthn-options`, {
            method: 'POST',
            credentials,
            headers: jsonHeaders,
            body: JSON.stringify({ mfa_token: mfaToken }),
          });
          if (!optionsResponse.ok) throw await errorOf(optionsResponse);
          proof = { webauthn: await ceremonies().authenticate((await optionsResponse.json()) as WebAuthnRequestOptionsJSON) };
        } else {
          proof = secondFactorBody(factor);
        }
        const response = await startSession('/authenticate/mfa', {
          headers: jsonHeaders,
          body: JSON.stringify({ mfa_token: mfaToken, ...proof }),
        });
        if (!response.ok) throw await errorOf(response);
        return sessionStarted(response);
      },
    };
  }

  async function login(username: string, password: string, loginOptions: LoginOptions = {}): Promise<GatehouseUser | LoginStep> {
    validitySecs = loginOptions.validitySecs;
    scope = loginOptions.scope;
    // X-Requested-With: the server then sends no Basic challenge, so browsers show no password dialog.
    const response = await startSession('/authenticate/login', {
      headers: { ...scriptHeaders, Authorization: basicCredentials(username, password) },
    });
    if (response.ok) {
      const user = await sessionStarted(response);
      return loginOptions.mfa ? { mfaRequired: false, user } : user;
    }
    const { error, body } = await failure(response);
    if (loginOptions.mfa && error.code === 'mfa_required' && typeof body.mfa_token === 'string') return mfaChallenge(body);
    throw error;
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
      // Signed out in another tab: the cookie is gone for every tab, so this tab's session has ended
      // too — say so now rather than at its next call (a page must not keep showing what it showed).
      forget();
      state = 'unknown';
      if (hadSession) {
        hadSession = false;
        options.onSessionExpired?.();
      }
    }
  });

  return {
    // One implementation for both overloads: the `mfa` option decides the shape.
    login: login as GatehouseClient['login'],

    async loginWithPasskey(loginOptions = {}) {
      const optionsResponse = await doFetch(`${baseUrl}/authenticate/passkey/options`, {
        method: 'POST',
        credentials,
        headers: scriptHeaders,
      });
      if (!optionsResponse.ok) throw await errorOf(optionsResponse);
      const assertion = await ceremonies().authenticate((await optionsResponse.json()) as WebAuthnRequestOptionsJSON);
      validitySecs = loginOptions.validitySecs;
      scope = loginOptions.scope;
      const response = await startSession('/authenticate/passkey/verify', {
        headers: jsonHeaders,
        body: JSON.stringify({ response: assertion }),
      });
      if (!response.ok) throw await errorOf(response);
      return sessionStarted(response);
    },

    async registerPasskey(name) {
      const post = (path: string, body?: object) =>
        authorizedFetch(`${baseUrl}/api/v1/users/me/passkeys${path}`, {
          method: 'POST',
          headers: body ? jsonHeaders : scriptHeaders,
          body: body ? JSON.stringify(body) : undefined,
        });
      const optionsResponse = await post('/options');
      if (!optionsResponse.ok) throw await errorOf(optionsResponse);
      const credential = await ceremonies().register((await optionsResponse.json()) as WebAuthnCreationOptionsJSON);
      const response = await post('', { name, response: credential });
      if (!response.ok) throw await errorOf(response);
      return (await response.json()) as RegisteredPasskey;
    },

    async forgotPassword(request) {
      // Only the field the caller named (the server refuses unknown fields, and both at once).
      const body = request.username !== undefined ? { username: request.username } : { email: request.email };
      const response = await publicPost('/authenticate/password/forgot', body);
      if (!response.ok) throw await errorOf(response);
    },

    async resetPassword(token, newPassword, factor) {
      const response = await publicPost('/authenticate/password/reset', { token, newPassword, ...resetFactorBody(factor) });
      if (!response.ok) throw await errorOf(response);
    },

    async verifyEmail(token) {
      const response = await publicPost('/authenticate/email/verify', { token });
      if (!response.ok) throw await errorOf(response);
    },

    fetch: authorizedFetch,

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
      if (!response.ok && response.status !== 401) throw await errorOf(response);
    },

    user: currentUser,

    hasRole(name) {
      return !!access?.claims.roles?.includes(name);
    },

    hasPermission(name) {
      const scope = access?.claims.scope;
      return typeof scope === 'string' && scope.split(' ').includes(name);
    },

    accessToken() {
      return access?.token ?? null;
    },

    close() {
      channel?.close();
    },
  };
}
