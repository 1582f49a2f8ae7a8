import { createGatehouseClient, decodeClaims, GatehouseError, MfaChallenge } from '@gatehouse/client';

// The page is configured through its URL, so one build serves any Gatehouse:
// ?api=<Gatehouse base URL>&validity=<access token seconds>&skew=<refresh skew seconds>
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

function show(signedIn: boolean): void {
  pending = null;
  $('mfa').hidden = true;
  $('login').hidden = signedIn;
  $('session').hidden = !signedIn;
  render();
}

function signedIn(): void {
  $('expired').hidden = true;
  show(true);
}

/** The code step: a TOTP or recovery code, and "Use a passkey" when the user has one. */
function askSecondFactor(step: MfaChallenge): void {
  pending = step;
  $('login').hidden = true;
  $('mfa').hidden = false;
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

// A reload, a second tab, or the return from a provider: the HttpOnly cookie may hold a session;
// resume it silently.
client.refresh().then(
  (resumed) => show(resumed),
  () => show(false),
);
void showProviders();

// For the browser tests and the curious: the client of this page.
(window as unknown as { demo: unknown }).demo = { client };
