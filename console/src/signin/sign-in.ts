import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { MfaChallenge, MfaMethod } from '@gatehouse/client';
import { client, publicGet } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field, PasswordField } from '../ui/field';
import { pendingFederatedMfa } from './federated-mfa';

interface Provider {
  name: string;
  loginUrl: string;
}

/** Where a provider login returns to: this page (must be listed in OIDC_POST_LOGIN_REDIRECTS). */
export function consoleUrl(): string {
  return `${location.origin}${location.pathname}`;
}

/**
 * Sign in: username and password (then the second factor when the user has one), a passkey, an
 * OpenID Connect provider, or "Forgot password?".
 */
export function SignIn(props: { notice?: string; error?: unknown; onSignedIn: () => Promise<void> }): VNode {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(props.error ?? null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<MfaChallenge | null>(pendingFederatedMfa);
  const [providers, setProviders] = useState<Provider[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Gatehouse console';
    publicGet<Provider[]>('/authenticate/oidc')
      .then(setProviders)
      .catch(() => setProviders([]));
  }, []);

  // Each step (the form, the second factor, back again; or this page after a sign-out) moves focus
  // to its heading: the control that had it is gone, and a screen reader then reads where it is.
  useEffect(() => heading.current?.focus(), [challenge]);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const submitPassword = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const step = await client.login(username, password, { mfa: true });
      setPassword('');
      if (step.mfaRequired) {
        setChallenge(step);
        return;
      }
      await props.onSignedIn();
    });
  };

  if (challenge) {
    return html`<${Frame} title="Second factor" headingRef=${heading}>
      <${ErrorBanner} error=${error} />
      <${SecondFactor}
        challenge=${challenge}
        busy=${busy}
        onSubmit=${(factor: string) =>
          run(async () => {
            await challenge.complete(factor);
            await props.onSignedIn();
          })}
        onCancel=${() => {
          setChallenge(null);
          setError(null);
        }}
      />
    <//>`;
  }

  return html`<${Frame} title="Sign in" headingRef=${heading}>
    <${Notice} text=${props.notice ?? null} />
    <${ErrorBanner} error=${error} />
    <form class="stack" onSubmit=${submitPassword} aria-label="Sign in with your password">
      <${Field} label="Username" name="username" value=${username} onInput=${setUsername} autocomplete="username webauthn" required />
      <${PasswordField} label="Password" name="password" value=${password} onInput=${setPassword} autocomplete="current-password" />
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
    <p><a href="#/forgot-password">Forgot password?</a></p>
    <div class="alternatives" role="group" aria-label="Other ways to sign in">
      <button
        type="button"
        disabled=${busy}
        onClick=${() =>
          run(async () => {
            await client.loginWithPasskey();
            await props.onSignedIn();
          })}
      >
        Sign in with a passkey
      </button>
      ${providers.map(
        (provider) =>
          html`<a class="button" href=${`${provider.loginUrl}?redirect=${encodeURIComponent(consoleUrl())}`}
            >Sign in with ${provider.name}</a
          >`,
      )}
    </div>
  <//>`;
}

const METHOD_NAMES: Record<MfaMethod, string> = {
  totp: 'Authenticator app code',
  recovery_code: 'Recovery code',
  webauthn: 'Passkey',
};
const METHOD_CHOICES: Record<MfaMethod, string> = {
  totp: 'Use an authenticator app code',
  recovery_code: 'Use a recovery code',
  webauthn: 'Use a passkey',
};

/** The second step: a code from the authenticator app, a recovery code, or one of the user's passkeys. */
function SecondFactor(props: {
  challenge: MfaChallenge;
  busy: boolean;
  onSubmit: (factor: string) => Promise<void>;
  onCancel: () => void;
}): VNode {
  const methods = props.challenge.methods;
  const typed = methods.filter((m) => m !== 'webauthn');
  const [method, setMethod] = useState<MfaMethod>(typed[0] ?? 'recovery_code');
  const [code, setCode] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    void props.onSubmit(code).then(() => setCode(''));
  };
  return html`<div class="stack">
    <p>Your account has a second factor. Available: ${methods.map((m) => METHOD_NAMES[m] ?? m).join(', ')}.</p>
    ${
      methods.includes('webauthn')
        ? html`<button type="button" class="primary" disabled=${props.busy} onClick=${() => props.onSubmit('passkey')}>
            Use a passkey
          </button>`
        : null
    }
    ${
      typed.length > 0
        ? html`<form class="stack" onSubmit=${submit} aria-label="Second factor code">
            ${
              typed.length > 1
                ? html`<fieldset class="choice">
                    <legend>Kind of code</legend>
                    ${typed.map(
                      (m) =>
                        html`<label class="check"
                          ><input type="radio" name="method" value=${m} checked=${method === m} onChange=${() => setMethod(m)} />
                          ${METHOD_CHOICES[m]}</label
                        >`,
                    )}
                  </fieldset>`
                : null
            }
            ${
              method === 'totp'
                ? html`<${Field}
                    label="Code from your authenticator app"
                    name="totp"
                    value=${code}
                    onInput=${setCode}
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    required
                    hint="Six digits"
                  />`
                : html`<${Field}
                    label="Recovery code"
                    name="recovery_code"
                    value=${code}
                    onInput=${setCode}
                    required
                    hint="e.g. ABCD-EFGH-JKMN"
                  />`
            }
            <button type="submit" class="primary" disabled=${props.busy}>Verify</button>
          </form>`
        : null
    }
    <button type="button" class="link" onClick=${props.onCancel}>Start over</button>
  </div>`;
}

/** The centred card of the pages shown before sign-in. */
export function Frame(props: { title: string; headingRef?: { current: HTMLHeadingElement | null }; children: unknown }): VNode {
  return html`<main id="main" class="signin">
    <div class="card">
      <p class="brand">Gatehouse</p>
      <h1 ref=${props.headingRef} tabindex="-1">${props.title}</h1>
      ${props.children}
    </div>
  </main>`;
}
