import { render } from 'preact';
import { html } from 'htm/preact';
import { App } from './app';

// Back from an OpenID Connect provider (/console/#code=…): the session is in the refresh cookie;
// the one-time code is not needed, so it leaves the address bar (and history) at once.
if (location.hash.startsWith('#code=')) history.replaceState(null, '', location.pathname + location.search);

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
