import { render } from 'preact';
import { html } from 'htm/preact';
import { App } from './app';
import { takeFederatedMfaFromHash } from './signin/federated-mfa';

// Back from an OpenID Connect provider (/console/#code=…): the session is in the refresh cookie;
// the one-time code is not needed, so it leaves the address bar (and history) at once.
// With a second factor still to give (#mfa_token=…), the sign-in page asks for it.
if (location.hash.startsWith('#code=') || takeFederatedMfaFromHash(location.hash)) {
  history.replaceState(null, '', location.pathname + location.search);
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
