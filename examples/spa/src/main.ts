import { createGatehouseClient, decodeClaims, GatehouseError, MfaChallenge } from '@gatehouse/client';

// The page is configured through its URL, so one build serves any Gatehouse:
// ?api=<Gatehouse base URL>&validity=<access token seconds>&skew=<refresh skew seconds>
// It is also served at /reset-password and /verify-email, where Gatehouse's e-mails link to
// (RESET_URL, EMAIL_VERIFY_URL) with &token=….
const params = new URLSearchParams(location.search);
// Default: Gatehouse on port 3000 of the host that served this page, so page and API stay the same
// site (localhost with localhost, 127.0.0.1 with 127.0.0.1) and the SameSite refresh cookie flows.
const api = params.get('api') ?? `${location.protocol}//${location.hostname}:3000`;
const validity = params.has('validity') ? Number(params.get('validity')) : undefined;
const skew = params.has('skew') ? Number(params.get('skew')) : 30;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const renewals: string[] = [];

const client = createGatehouseClient({
  baseUrl: api,
  refreshSkewSeconds: skew,
  onSessionExpired: () => {
    $('expired').hidden = false;
    show(false);
  },
  onTokenRenewed: ({ expiresAt, source }) => {
    renewals.push(
      `${new Date().toLocaleTimeString()}: renewed ${source === 'this-tab' ? 'silently' : 'by another tab'}, new expiry ${expiresAt.toLocaleTimeString()}`,
    );
    render();
  },
});

/** The second step of a login in progress (the password was right; a second factor is needed). */
let pending: MfaChallenge | null = null;

/** The token of the reset link this page was opened with, while its form is shown. */
let resetToken: string | null = null;

/** One panel at a time. */
function panel(name: 'login' | 'mfa' | 'forgot' | 'reset' | 'session'): void {
  for (const id of ['login', 'mfa', 'forgot', 'reset', 'session']) $(id).hidden = id !== name;
}

function show(signedIn: boolean): void {
  pending = null;
  panel(signedIn ? 'session' : 'login');
  render();
}

/** A message above the panels (a changed password, a verified address), green or red. */
function notice(text: string, bad = false): void {
  $('notice').textContent = text;
  $('notice').classList.toggle('bad', bad);
  $('notice').hidden = false;
}

function signedIn(): void {
  $('expired').hidden = true;
  show(true);
}

/** The code step: a TOTP or recovery code, and "Use a passkey" when the user has one. */
function askSecondFactor(step: MfaChallenge): void {
  pending = step;
  panel('mfa');
  $('mfa-error').hidden = true;
  $('mfa-passkey').hidden = !step.methods.includes('webauthn') || !passkeysAvailable;
  $<HTMLInputElement>('mfa-code').value = '';
  $('mfa-code').focus();
}

function describe(error: unknown): string {
  if (error instanceof GatehouseError) return error.message;
  // navigator.credentials rejects with NotAllowedError when the prompt is dismissed or times out.
  if (error instanceof DOMException && error.name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out.';
  if (error instanceof DOMException) return `Passkey error: ${error.message}`;
  return 'Gatehouse cannot be reached';
}

function fail(id: string, error: unknown): void {
  $(id).textContent = describe(error);
  $(id).hidden = false;
}

const passkeysAvailable = typeof PublicKeyCredential !== 'undefined';

function render(): void {
  const user = client.user();
  $('who').textContent = user?.username ?? '';
  $('roles').textContent = user?.roles.join(', ') || '(none)';
  const token = client.accessToken();
  const exp = token ? decodeClaims(token)?.exp : undefined;
  $('expires').textContent = exp ? new Date(exp * 1000).toLocaleTimeString() : '';
  $('renewal-count').textContent = String(renewals.length);
  $('renewals').replaceChildren(...renewals.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
}

$('api').textContent = api;

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('error').hidden = true;
  $('notice').hidden = true;
  try {
    const step = await client.login($<HTMLInputElement>('username').value, $<HTMLInputElement>('password').value, {
      validitySecs: validity,
      mfa: true,
    });
    $<HTMLInputElement>('password').value = '';
    if (step.mfaRequired) askSecondFactor(step);
    else signedIn();
  } catch (error) {
    fail('error', error);
  }
});

async function completeLogin(factor: string): Promise<void> {
  if (!pending) return;
  $('mfa-error').hidden = true;
  try {
    await pending.complete(factor);
    signedIn();
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'invalid_mfa_token') {
      // Too late (5 minutes) or already used: back to the password.
      show(false);
      fail('error', error);
    } else {
      fail('mfa-error', error);
    }
  }
}

$('mfa').addEventListener('submit', (event) => {
  event.preventDefault();
  void completeLogin($<HTMLInputElement>('mfa-code').value);
});
$('mfa-passkey').addEventListener('click', () => void completeLogin('passkey'));
$('mfa-cancel').addEventListener('click', () => show(false));

$('passkey-sign-in').hidden = !passkeysAvailable;
$('passkey-sign-in').addEventListener('click', async () => {
  $('error').hidden = true;
  try {
    await client.loginWithPasskey({ validitySecs: validity });
    signedIn();
  } catch (error) {
    fail('error', error);
  }
});

// Forgot password: one field for a username or an address. Gatehouse itself takes text with '@'
// for an address (usernames may contain '@' too, but such a user can ask by address instead).
function showForgot(): void {
  $('error').hidden = true;
  $('forgot-sent').hidden = true;
  $('forgot-error').hidden = true;
  $<HTMLInputElement>('forgot-name').value = $<HTMLInputElement>('username').value;
  panel('forgot');
  $('forgot-name').focus();
}

$('forgot-link').addEventListener('click', showForgot);
$('forgot-back').addEventListener('click', () => show(false));

$('forgot').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('forgot-sent').hidden = true;
  $('forgot-error').hidden = true;
  const name = $<HTMLInputElement>('forgot-name').value.trim();
  try {
    await client.forgotPassword(name.includes('@') ? { email: name } : { username: name });
    // The same words whatever was typed: the server does not say whether an account matched, nor may the page.
    $('forgot-sent').textContent =
      'If an account matches and has a verified e-mail address, a link to reset its password is on its way. It works once, for a limited time.';
    $('forgot-sent').hidden = false;
  } catch (error) {
    if (error instanceof GatehouseError && error.status === 429) {
      const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 3600) / 60));
      $('forgot-error').textContent = `Too many requests; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
      $('forgot-error').hidden = false;
    } else {
      fail('forgot-error', error);
    }
  }
});

/** A reset link was opened: ask for the new password (and a second factor if the server wants one). */
function showReset(token: string): void {
  resetToken = token;
  $('reset-factor').hidden = true;
  $('reset-new-link').hidden = true;
  $('reset-error').hidden = true;
  panel('reset');
  $('new-password').focus();
}

$('reset').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!resetToken) return;
  $('reset-error').hidden = true;
  const password = $<HTMLInputElement>('new-password').value;
  if (password !== $<HTMLInputElement>('new-password-again').value) {
    $('reset-error').textContent = 'The two passwords differ.';
    $('reset-error').hidden = false;
    return;
  }
  const code = $('reset-factor').hidden ? undefined : $<HTMLInputElement>('reset-code').value;
  try {
    await client.resetPassword(resetToken, password, code);
    resetToken = null;
    for (const id of ['new-password', 'new-password-again', 'reset-code']) $<HTMLInputElement>(id).value = '';
    show(false);
    notice('Your password has been changed and every session has ended. Sign in with the new password.');
    $('username').focus();
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'mfa_required') {
      // The link alone does not bypass a second factor: ask for a code (no passkeys on a reset).
      const ways = [
        ...(error.methods?.includes('totp') ? ['a code from your authenticator app'] : []),
        ...(error.methods?.includes('recovery_code') ? ['a recovery code'] : []),
      ];
      $('reset-factor-hint').textContent = `Your account has a second factor: enter ${ways.join(' or ') || 'a code'}.`;
      $('reset-factor').hidden = false;
      $('reset-code').focus();
      return;
    }
    // Expired, used, or the password changed since: only a new link helps.
    $('reset-new-link').hidden = !(error instanceof GatehouseError && error.code === 'invalid_link');
    fail('reset-error', error);
  }
});

$('reset-new-link').addEventListener('click', () => {
  resetToken = null;
  showForgot();
});

function showRecoveryCodes(codes: string[] | undefined): void {
  $('recovery').hidden = !codes?.length;
  $('recovery-codes').replaceChildren(...(codes ?? []).map((code) => Object.assign(document.createElement('li'), { textContent: code })));
}

$('register-passkey').addEventListener('click', async () => {
  $('factors').textContent = '';
  try {
    const { passkey, recoveryCodes } = await client.registerPasskey($<HTMLInputElement>('passkey-name').value || 'This device');
    $('factors').textContent = `Passkey “${passkey.name}” registered.`;
    showRecoveryCodes(recoveryCodes);
  } catch (error) {
    $('factors').textContent = `Passkey not registered: ${describe(error)}`;
  }
});

/** A JSON call to Gatehouse with the session's token; rejects with the server's message. */
async function call<T>(path: string, body?: object): Promise<T> {
  const response = await client.fetch(`${api}${path}`, {
    method: 'POST',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new GatehouseError(json.message ?? `HTTP ${response.status}`, response.status);
  return json;
}

$('setup-totp').addEventListener('click', async () => {
  $('factors').textContent = '';
  try {
    const { secret, qrSvg } = await call<{ secret: string; qrSvg: string }>('/api/v1/users/me/mfa/totp');
    $('totp-secret').textContent = secret;
    // The server's SVG, parsed as an image (no script runs from it; the CSP allows none inline anyway).
    const svg = new DOMParser().parseFromString(qrSvg, 'image/svg+xml').documentElement;
    $('totp-qr').replaceChildren(document.importNode(svg, true));
    $('totp').hidden = false;
    $('totp-code').focus();
  } catch (error) {
    $('factors').textContent = `TOTP not started: ${describe(error)}`;
  }
});

$('totp-confirm').addEventListener('click', async () => {
  try {
    const { recoveryCodes } = await call<{ recoveryCodes?: string[] }>('/api/v1/users/me/mfa/totp/confirm', {
      code: $<HTMLInputElement>('totp-code').value.replace(/\s+/g, ''),
    });
    $('totp').hidden = true;
    $('factors').textContent = 'TOTP is on: the next sign-in asks for a code.';
    showRecoveryCodes(recoveryCodes);
  } catch (error) {
    $('factors').textContent = `TOTP not turned on: ${describe(error)}`;
  }
});

$('call').addEventListener('click', async () => {
  try {
    const response = await client.fetch(`${api}/authenticate/me`);
    $('result').textContent = `${response.status} ${JSON.stringify(await response.json(), null, 2)}`;
  } catch (error) {
    $('result').textContent = `failed: ${(error as Error).message}`;
  }
  render();
});

$('renew').addEventListener('click', () => void client.refresh({ force: true }).then(render));

$('logout').addEventListener('click', async () => {
  await client.logout();
  $('result').textContent = 'Signed out.';
  render();
});

/** "Sign in with …" for each OpenID Connect provider Gatehouse offers (none unless configured). */
async function showProviders(): Promise<void> {
  const response = await fetch(`${api}/authenticate/oidc`).catch(() => undefined);
  if (!response?.ok) return;
  const providers = (await response.json()) as { name: string; loginUrl: string }[];
  // After the provider, Gatehouse sends the browser back here (this exact URL must be on
  // OIDC_POST_LOGIN_REDIRECTS) with the session in its refresh cookie.
  const back = encodeURIComponent(location.origin + location.pathname + location.search);
  $('providers').replaceChildren(
    ...providers.map((p) =>
      Object.assign(document.createElement('a'), {
        href: `${api}${p.loginUrl}?redirect=${back}`,
        textContent: `Sign in with ${p.name}`,
        className: 'provider',
      }),
    ),
  );
  $('providers').hidden = providers.length === 0;
}

// Back from a provider: the session is in the cookie; the one-time code in the fragment is not needed.
if (location.hash.startsWith('#code=')) history.replaceState(null, '', location.pathname + location.search);

// A link from an e-mail. The token leaves the address bar (and the history) at once: it is a
// credential until used; the page keeps it in memory. (The demo server also sends no Referer.)
const linkToken = params.get('token');
const link =
  linkToken === null ? null : location.pathname === '/reset-password' ? 'reset' : location.pathname === '/verify-email' ? 'verify' : null;
if (linkToken !== null) {
  params.delete('token');
  history.replaceState(null, '', `/${params.toString() ? `?${params}` : ''}`);
}

if (link === 'reset') {
  // Setting a new password ends every session anyway: no resume here.
  showReset(linkToken!);
} else {
  if (link === 'verify') {
    client.verifyEmail(linkToken!).then(
      () => notice('Your e-mail address is verified.'),
      (error: unknown) => notice(`Your e-mail address was not verified: ${describe(error)}`, true),
    );
  }
  // A reload, a second tab, or the return from a provider: the HttpOnly cookie may hold a session;
  // resume it silently.
  client.refresh().then(
    (resumed) => show(resumed),
    () => show(false),
  );
}
void showProviders();

// For the browser tests and the curious: the client of this page.
(window as unknown as { demo: unknown }).demo = { client };
