import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../api';
import type { Route } from '../router';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field, PasswordField } from '../ui/field';
import { Frame } from './sign-in';

const PUBLIC_PATHS = ['/forgot-password', '/reset-password', '/verify-email'];

/** Whether this path is one of the pages shown whether or not someone is signed in. */
export function publicPageFor(path: string): boolean {
  return PUBLIC_PATHS.includes(path);
}

/** A link's token: in the hash query (RESET_URL=…/console/#/reset-password) or the page's query. */
function tokenOf(route: Route): string {
  return route.query.get('token') ?? new URLSearchParams(location.search).get('token') ?? '';
}

/**
 * Reads a link's token once, then takes it out of the address bar: a token left in the URL stays in
 * the browser's history and is shared with anyone the address is copied to. (A fragment is never
 * sent to a server or in a Referer; the console's pages also send `Referrer-Policy: no-referrer`.)
 */
function useLinkToken(route: Route): string {
  const [token] = useState(() => tokenOf(route));
  useEffect(() => {
    const url = new URL(location.href);
    url.searchParams.delete('token');
    url.hash = `#${route.path}`;
    history.replaceState(history.state, '', url);
  }, []);
  return token;
}

/** What a link page says when it was opened without its token (or reloaded after reading it). */
function NoToken({ title, again }: { title: string; again: VNode }): VNode {
  return html`<${Frame} title=${title}>
    <${ErrorBanner} error=${new Error('This page needs the whole link from your e-mail, which can be used once.')} />
    ${again}
  <//>`;
}

export function PublicPage({ route }: { route: Route }): VNode {
  if (route.path === '/reset-password') return html`<${ResetPassword} route=${route} />`;
  if (route.path === '/verify-email') return html`<${VerifyEmail} route=${route} />`;
  return html`<${ForgotPassword} />`;
}

function ForgotPassword(): VNode {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState(false);
  useEffect(() => {
    document.title = 'Forgot password · Gatehouse console';
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      // Usernames may contain @: an address is taken for one only when it looks like nothing else.
      await client.forgotPassword(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(name) ? { email: name } : { username: name });
      setSent(true);
    } catch (caught) {
      setError(caught);
    }
  };
  return html`<${Frame} title="Forgot password">
    <${ErrorBanner} error=${error} />
    ${
      sent
        ? html`<${Notice} text="If an account matches, a link to set a new password is on its way to its verified e-mail address." />`
        : html`<form class="stack" onSubmit=${submit} aria-label="Ask for a reset link">
            <${Field}
              label="Username or e-mail address"
              name="account"
              value=${name}
              onInput=${setName}
              autocomplete="username"
              required
              hint="The link goes to the account's verified e-mail address."
            />
            <button type="submit" class="primary">Send me a link</button>
          </form>`
    }
    <p><a href="#/">Back to sign in</a></p>
  <//>`;
}

function ResetPassword({ route }: { route: Route }): VNode {
  const token = useLinkToken(route);
  const [password, setPassword] = useState('');
  const [factor, setFactor] = useState('');
  const [needsFactor, setNeedsFactor] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  if (!token)
    return html`<${NoToken} title="Set a new password" again=${html`<p><a href="#/forgot-password">Ask for a new link</a></p>`} />`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await client.resetPassword(token, password, needsFactor ? factor : undefined);
      setDone(true);
    } catch (caught) {
      if ((caught as { code?: string }).code === 'mfa_required') setNeedsFactor(true);
      setError(caught);
    }
  };
  return html`<${Frame} title="Set a new password">
    <${ErrorBanner} error=${error} />
    ${
      done
        ? html`<${Notice} text="Your password is changed and every session has ended." />
            <p><a href="#/">Sign in</a></p>`
        : html`<form class="stack" onSubmit=${submit} aria-label="Choose a new password">
            <${PasswordField}
              label="New password"
              name="new-password"
              value=${password}
              onInput=${setPassword}
              autocomplete="new-password"
            />
            ${
              needsFactor
                ? html`<${Field}
                    label="Code from your authenticator app, or a recovery code"
                    name="factor"
                    value=${factor}
                    onInput=${setFactor}
                    autocomplete="one-time-code"
                    required
                  />`
                : null
            }
            <button type="submit" class="primary">Set password</button>
          </form>`
    }
  <//>`;
}

function VerifyEmail({ route }: { route: Route }): VNode {
  const token = useLinkToken(route);
  const [state, setState] = useState<'working' | 'done'>('working');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!token) return;
    client
      .verifyEmail(token)
      .then(() => setState('done'))
      .catch(setError);
  }, [token]);
  if (!token) return html`<${NoToken} title="Verify e-mail address" again=${html`<p><a href="#/">Go to the console</a></p>`} />`;
  return html`<${Frame} title="Verify e-mail address">
    <${ErrorBanner} error=${error} />
    ${state === 'done' ? html`<${Notice} text="Your e-mail address is verified." />` : error ? null : html`<p>Verifying…</p>`}
    <p><a href="#/">Go to the console</a></p>
  <//>`;
}
