import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { client } from '../api';
import type { Route } from '../router';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field } from '../ui/field';
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

export function PublicPage({ route }: { route: Route }): VNode {
  if (route.path === '/reset-password') return html`<${ResetPassword} token=${tokenOf(route)} />`;
  if (route.path === '/verify-email') return html`<${VerifyEmail} token=${tokenOf(route)} />`;
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

function ResetPassword({ token }: { token: string }): VNode {
  const [password, setPassword] = useState('');
  const [factor, setFactor] = useState('');
  const [needsFactor, setNeedsFactor] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
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
            <${Field}
              label="New password"
              name="new-password"
              type="password"
              value=${password}
              onInput=${setPassword}
              autocomplete="new-password"
              required
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

function VerifyEmail({ token }: { token: string }): VNode {
  const [state, setState] = useState<'working' | 'done'>('working');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    client
      .verifyEmail(token)
      .then(() => setState('done'))
      .catch(setError);
  }, [token]);
  return html`<${Frame} title="Verify e-mail address">
    <${ErrorBanner} error=${error} />
    ${state === 'done' ? html`<${Notice} text="Your e-mail address is verified." />` : error ? null : html`<p>Verifying…</p>`}
    <p><a href="#/">Go to the console</a></p>
  <//>`;
}
