import { createGatehouseClient, decodeClaims, GatehouseError } from '@gatehouse/client';

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

function show(signedIn: boolean): void {
  $('login').hidden = signedIn;
  $('session').hidden = !signedIn;
  render();
}

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
    await client.login($<HTMLInputElement>('username').value, $<HTMLInputElement>('password').value, { validitySecs: validity });
    $<HTMLInputElement>('password').value = '';
    $('expired').hidden = true;
    show(true);
  } catch (error) {
    $('error').textContent = error instanceof GatehouseError ? error.message : 'Gatehouse cannot be reached';
    $('error').hidden = false;
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
