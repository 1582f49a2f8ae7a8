import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field, PasswordField } from '../ui/field';
import type { PageContext } from '../ui/page';
import { useLoad } from '../ui/use-load';

export interface UserView {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  locale: string | null;
  firstName: string | null;
  lastName: string | null;
  enabled: boolean;
  identityProvider: string | null;
  roles: { id: string; name: string }[];
  createdAt: string;
}

/** Profile: names and e-mail address (with its verification state), and the password. */
export function ProfilePage({ ctx }: { ctx: PageContext }): VNode {
  const me = useLoad(() => api<UserView>('GET', '/api/v1/users/me'));
  return html`<section>
    <h1 tabindex="-1">Profile</h1>
    <${ErrorBanner} error=${me.error} />
    ${me.data ? html`<${ProfileForm} user=${me.data} onSaved=${me.reload} />` : me.loading ? html`<p>Loading…</p>` : null}
    ${me.data && !me.data.identityProvider ? html`<${PasswordForm} />` : null}
    <p class="hint">Roles: ${ctx.principal.roles.join(', ') || 'none'}.</p>
  </section>`;
}

function ProfileForm({ user, onSaved }: { user: UserView; onSaved: () => Promise<void> }): VNode {
  const [firstName, setFirstName] = useState(user.firstName ?? '');
  const [lastName, setLastName] = useState(user.lastName ?? '');
  const [email, setEmail] = useState(user.email ?? '');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setFirstName(user.firstName ?? '');
    setLastName(user.lastName ?? '');
    setEmail(user.email ?? '');
  }, [user]);
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const body: Record<string, string | null> = { firstName: firstName || null, lastName: lastName || null };
      if (email !== (user.email ?? '')) body.email = email || null;
      await api('PATCH', '/api/v1/users/me', body);
      await onSaved();
      setNotice('Profile saved.');
    } catch (caught) {
      setError(caught);
    }
  };
  const resend = async () => {
    setError(null);
    setNotice(null);
    try {
      await api('POST', '/api/v1/users/me/email/verification');
      setNotice(`A verification link is on its way to ${user.email}.`);
    } catch (caught) {
      setError(caught);
    }
  };
  return html`<form class="stack panel" onSubmit=${save} aria-labelledby="profile-heading">
    <h2 id="profile-heading">Your details</h2>
    <${ErrorBanner} error=${error} />
    <${Notice} text=${notice} />
    <dl class="facts">
      <dt>Username</dt>
      <dd>${user.username}</dd>
      ${
        user.identityProvider
          ? html`<dt>Signs in through</dt>
              <dd>${user.identityProvider}</dd>`
          : null
      }
    </dl>
    <div class="row">
      <${Field} label="First name" name="firstName" value=${firstName} onInput=${setFirstName} autocomplete="given-name" />
      <${Field} label="Last name" name="lastName" value=${lastName} onInput=${setLastName} autocomplete="family-name" />
    </div>
    <${Field} label="E-mail address" name="email" type="email" value=${email} onInput=${setEmail} autocomplete="email" />
    <p class="email-state">
      ${
        user.email
          ? user.emailVerified
            ? html`<span class="badge ok">Verified</span>`
            : html`<span class="badge warn">Not verified</span>
                <button type="button" class="link" onClick=${resend}>Send the verification link again</button>`
          : html`<span class="badge">No e-mail address</span>`
      }
    </p>
    <div><button type="submit" class="primary">Save profile</button></div>
  </form>`;
}

function PasswordForm(): VNode {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setNotice(null);
    try {
      await api('PUT', '/api/v1/users/me/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setNotice('Password changed. Your other sessions have ended.');
    } catch (caught) {
      setError(caught);
    }
  };
  return html`<form class="stack panel" onSubmit=${submit} aria-labelledby="password-heading">
    <h2 id="password-heading">Password</h2>
    <${ErrorBanner} error=${error} />
    <${Notice} text=${notice} />
    <${PasswordField}
      label="Current password"
      name="currentPassword"
      value=${current}
      onInput=${setCurrent}
      autocomplete="current-password"
    />
    <${PasswordField} label="New password" name="newPassword" value=${next} onInput=${setNext} autocomplete="new-password" />
    <div><button type="submit" class="primary">Change password</button></div>
  </form>`;
}
