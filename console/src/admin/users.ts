import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Checkbox, CheckboxGroup, Field, PasswordField } from '../ui/field';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { Pager } from '../ui/pager';
import { type Column, LIST_PAGE_SIZE, Table } from '../ui/table';
import { useLoad } from '../ui/use-load';
import { useOnChange } from '../ui/use-on-change';
import { type Ask, ConfirmButton, P, useAction, useConfirm, useHeadingFocus, withQuery } from './shared';
import type { AccessToken, AdminUser, MfaStatus, Paged, Role, Session } from './types';

const PAGE_SIZE = 20;
const BASE = '/admin/users';

/** Users: the list (search, pages), `/new` to create one, `/<id>` to edit one. */
export function UsersPage({ ctx }: { ctx: PageContext }): VNode {
  const id = ctx.subpath.replace(/^\//, '');
  useHeadingFocus(id);
  if (id === 'new') return html`<${NewUser} ctx=${ctx} />`;
  if (id) return html`<${UserEditor} key=${id} ctx=${ctx} id=${id} />`;
  return html`<${UserList} ctx=${ctx} />`;
}

function fullName(user: AdminUser): string {
  return [user.firstName, user.lastName].filter(Boolean).join(' ');
}

function UserList({ ctx }: { ctx: PageContext }): VNode {
  const q = ctx.query.get('q') ?? '';
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const [search, setSearch] = useState(q);
  useOnChange(q, () => setSearch(q));
  const list = useLoad(() => api<Paged<AdminUser>>('GET', withQuery('/api/v1/users', { q, page, limit: PAGE_SIZE })), [q, page]);
  const columns: Column<AdminUser>[] = [
    { header: 'Username', cell: (user) => html`<a href=${`#${BASE}/${user.id}`}>${user.username}</a>` },
    { header: 'Name', cell: (user) => fullName(user) || '—' },
    { header: 'E-mail', cell: (user) => user.email ?? '—' },
    { header: 'Roles', cell: (user) => user.roles.map((role) => role.name).join(', ') || '—' },
    {
      header: 'Status',
      cell: (user) => (user.enabled ? html`<span class="badge ok">Enabled</span>` : html`<span class="badge warn">Disabled</span>`),
    },
  ];
  const submit = (event: Event) => {
    event.preventDefault();
    ctx.navigate(withQuery(BASE, { q: search.trim() }));
  };
  return html`<section class="stack">
    <h1 tabindex="-1">Users</h1>
    <form class="row panel" role="search" aria-label="Users" onSubmit=${submit}>
      <${Field}
        label="Search by username or e-mail"
        name="q"
        type="search"
        value=${search}
        onInput=${setSearch}
        hint="Part of a username or address, any case"
      />
      <div class="actions">
        <button type="submit" class="primary">Search</button>
        ${q ? html`<button type="button" onClick=${() => ctx.navigate(BASE)}>Show all</button>` : null}
      </div>
    </form>
    ${ctx.can(P.usersWrite) ? html`<p><a class="button" href=${`#${BASE}/new`}>New user</a></p>` : null}
    <${ErrorBanner} error=${list.error} />
    ${
      list.data
        ? html`<p role="status">${list.data.total} ${list.data.total === 1 ? 'user' : 'users'}${q ? ` matching “${q}”` : ''}</p>
            <${Table}
              caption="Users"
              columns=${columns}
              rows=${list.data.items}
              rowKey=${(user: AdminUser) => user.id}
              empty=${q ? 'No user matches this search.' : 'No users.'}
            />
            <${Pager}
              label="Pages of users"
              page=${page}
              limit=${PAGE_SIZE}
              total=${list.data.total}
              onPage=${(next: number) => ctx.navigate(withQuery(BASE, { q, page: next }))}
            />`
        : list.loading
          ? html`<p class="loading">Loading…</p>`
          : null
    }
  </section>`;
}

/** Checkboxes for the roles a user holds. */
function RolePicker(props: { roles: Role[]; chosen: string[]; onChange: (chosen: string[]) => void; idPrefix: string }): VNode {
  return html`<${CheckboxGroup}
    legend="Roles"
    name="roles"
    idPrefix=${props.idPrefix}
    options=${props.roles.map((role) => role.name)}
    chosen=${props.chosen}
    onChange=${props.onChange}
  />`;
}

function NewUser({ ctx }: { ctx: PageContext }): VNode {
  const roles = useLoad(() => api<Role[]>('GET', '/api/v1/roles'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [chosen, setChosen] = useState<string[]>(['USER']);
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    let created: AdminUser | undefined;
    const ok = await action.run(async () => {
      created = await api<AdminUser>('POST', '/api/v1/users', {
        username,
        password,
        email: email || null,
        firstName: firstName || null,
        lastName: lastName || null,
        roles: chosen,
      });
    });
    if (ok && created) ctx.navigate(`${BASE}/${created.id}`);
  };
  return html`<section class="stack">
    <p><a href=${`#${BASE}`}>← All users</a></p>
    <h1 tabindex="-1">New user</h1>
    <form class="stack panel" onSubmit=${submit} aria-label="New user">
      <${ErrorBanner} error=${action.error ?? roles.error} />
      <${Field} label="Username" name="username" value=${username} onInput=${setUsername} required autocomplete="off" />
      <${PasswordField}
        label="Initial password"
        name="password"
        value=${password}
        onInput=${setPassword}
        autocomplete="new-password"
        hint="At least 12 characters, not a common password; the user can change it"
      />
      <${Field} label="E-mail address" name="email" type="email" value=${email} onInput=${setEmail} />
      <div class="row">
        <${Field} label="First name" name="firstName" value=${firstName} onInput=${setFirstName} />
        <${Field} label="Last name" name="lastName" value=${lastName} onInput=${setLastName} />
      </div>
      ${roles.data ? html`<${RolePicker} roles=${roles.data} chosen=${chosen} onChange=${setChosen} idPrefix="new-role" />` : null}
      <div><button type="submit" class="primary" disabled=${action.busy}>Create user</button></div>
    </form>
  </section>`;
}

function UserEditor({ ctx, id }: { ctx: PageContext; id: string }): VNode {
  const user = useLoad(() => api<AdminUser>('GET', `/api/v1/users/${encodeURIComponent(id)}`), [id]);
  const { ask, dialog } = useConfirm();
  // Bumped after every change made here: disabling a user or removing their second factors ends their
  // sessions, so the panels that list what the server holds load again rather than show what ended.
  const [revision, setRevision] = useState(0);
  const saved = async () => {
    await user.reload();
    setRevision((r) => r + 1);
    // Editing yourself (your roles): the menu must follow what the server now grants you.
    if (id === ctx.principal.id) await ctx.reloadPrincipal();
  };
  if (!user.data) {
    return html`<section class="stack">
      <p><a href=${`#${BASE}`}>← All users</a></p>
      <h1 tabindex="-1">User</h1>
      <${ErrorBanner} error=${user.error} />
      ${user.loading ? html`<p class="loading">Loading…</p>` : null}
    </section>`;
  }
  const u = user.data;
  const writable = ctx.can(P.usersWrite);
  return html`<section class="stack">
    <p><a href=${`#${BASE}`}>← All users</a></p>
    <h1 tabindex="-1">User ${u.username}</h1>
    <${ErrorBanner} error=${user.error} />
    <dl class="facts">
      <dt>Id</dt>
      <dd>${u.id}</dd>
      <dt>Created</dt>
      <dd>${when(u.createdAt)}</dd>
      ${
        u.identityProvider
          ? html`<dt>Signs in through</dt>
              <dd>${u.identityProvider}</dd>`
          : null
      }
      ${
        ctx.can(P.auditRead)
          ? html`<dt>Audit log</dt>
              <dd><a href=${`#${withQuery('/admin/audit', { userId: u.id })}`}>Events of ${u.username}</a></dd>`
          : null
      }
    </dl>
    <${DetailsPanel} user=${u} writable=${writable} onSaved=${saved} />
    <${StatusPanel} user=${u} writable=${writable} onSaved=${saved} ask=${ask} />
    <${RolesPanel} user=${u} writable=${writable} onSaved=${saved} ask=${ask} />
    <${MfaPanel} user=${u} writable=${writable} onSaved=${saved} revision=${revision} ask=${ask} />
    ${ctx.can(P.sessionsAdmin) ? html`<${SessionsPanel} user=${u} revision=${revision} ask=${ask} />` : null}
    ${ctx.can(P.sessionsAdmin) ? html`<${TokensPanel} user=${u} revision=${revision} ask=${ask} />` : null}
    ${writable ? html`<${DeletePanel} ctx=${ctx} user=${u} ask=${ask} />` : null} ${dialog}
  </section>`;
}

function DetailsPanel({ user, writable, onSaved }: { user: AdminUser; writable: boolean; onSaved: () => Promise<void> }): VNode {
  const [firstName, setFirstName] = useState(user.firstName ?? '');
  const [lastName, setLastName] = useState(user.lastName ?? '');
  const [email, setEmail] = useState(user.email ?? '');
  const [verified, setVerified] = useState(user.emailVerified);
  const action = useAction();
  useEffect(() => {
    setFirstName(user.firstName ?? '');
    setLastName(user.lastName ?? '');
    setEmail(user.email ?? '');
    setVerified(user.emailVerified);
  }, [user]);
  const save = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = { firstName: firstName || null, lastName: lastName || null };
    if (email !== (user.email ?? '')) body.email = email || null;
    // Sent only when ticked or unticked here: a changed address is otherwise unverified (the server's rule).
    if (verified !== user.emailVerified) body.emailVerified = verified;
    if (await action.run(() => api('PATCH', `/api/v1/users/${user.id}`, body), 'Details saved.')) await onSaved();
  };
  return html`<form class="stack panel" onSubmit=${save} aria-labelledby="details-heading">
    <h2 id="details-heading">Details</h2>
    <${ErrorBanner} error=${action.error} />
    <${Notice} text=${action.notice} />
    <div class="row">
      <${Field} label="First name" name="firstName" value=${firstName} onInput=${setFirstName} disabled=${!writable} />
      <${Field} label="Last name" name="lastName" value=${lastName} onInput=${setLastName} disabled=${!writable} />
    </div>
    <${Field} label="E-mail address" name="email" type="email" value=${email} onInput=${setEmail} disabled=${!writable} />
    ${
      writable
        ? html`<${Checkbox}
              label="E-mail address verified"
              name="emailVerified"
              id="email-verified"
              checked=${verified}
              onChange=${setVerified}
            />
            <div><button type="submit" class="primary" disabled=${action.busy}>Save details</button></div>`
        : html`<p>${user.emailVerified ? 'The address is verified.' : 'The address is not verified.'}</p>`
    }
  </form>`;
}

function StatusPanel(props: { user: AdminUser; writable: boolean; onSaved: () => Promise<void>; ask: Ask }): VNode {
  const { user } = props;
  const action = useAction();
  const setEnabled = async (enabled: boolean) => {
    const done = enabled ? `${user.username} can sign in again.` : `${user.username} is disabled; their sessions have ended.`;
    if (await action.run(() => api('PATCH', `/api/v1/users/${user.id}`, { enabled }), done)) await props.onSaved();
  };
  return html`<div class="stack panel" role="group" aria-labelledby="status-heading">
    <h2 id="status-heading">Status</h2>
    <${ErrorBanner} error=${action.error} />
    <${Notice} text=${action.notice} />
    <p>
      ${user.enabled ? html`<span class="badge ok">Enabled</span>` : html`<span class="badge warn">Disabled</span>`}
      ${user.enabled ? ' The user can sign in.' : ' The user cannot sign in, and their tokens are refused.'}
    </p>
    ${
      props.writable
        ? html`<div>
            ${
              user.enabled
                ? html`<${ConfirmButton}
                    ask=${props.ask}
                    label="Disable user"
                    confirmation=${{
                      title: `Disable ${user.username}?`,
                      message: 'Their sessions and tokens stop working at once, and they cannot sign in until enabled again.',
                      confirmLabel: 'Disable user',
                      action: () => setEnabled(false),
                    }}
                  />`
                : html`<button type="button" class="primary" onClick=${() => setEnabled(true)}>Enable user</button>`
            }
          </div>`
        : null
    }
  </div>`;
}

function RolesPanel(props: { user: AdminUser; writable: boolean; onSaved: () => Promise<void>; ask: Ask }): VNode {
  const roles = useLoad(() => api<Role[]>('GET', '/api/v1/roles'));
  const held = props.user.roles.map((role) => role.name);
  const [chosen, setChosen] = useState<string[]>(held);
  useEffect(() => setChosen(props.user.roles.map((role) => role.name)), [props.user]);
  const action = useAction();
  const store = async () => {
    if (await action.run(() => api('PATCH', `/api/v1/users/${props.user.id}`, { roles: chosen }), 'Roles saved.')) await props.onSaved();
  };
  const save = (event: Event) => {
    event.preventDefault();
    // Taking a role away is destructive (the user's live tokens lose it): asked first.
    const removed = held.filter((name) => !chosen.includes(name));
    if (removed.length === 0) return void store();
    props.ask({
      title: 'Remove roles?',
      message: `${props.user.username} loses ${removed.join(', ')}, and with it what ${removed.length === 1 ? 'it grants' : 'they grant'}, within seconds.`,
      confirmLabel: 'Remove and save',
      action: store,
    });
  };
  if (!props.writable) {
    return html`<div class="stack panel" role="group" aria-labelledby="roles-heading">
      <h2 id="roles-heading">Roles</h2>
      <p>${held.join(', ') || 'No roles.'}</p>
    </div>`;
  }
  return html`<form class="stack panel" onSubmit=${save} aria-labelledby="roles-heading">
    <h2 id="roles-heading">Roles</h2>
    <${ErrorBanner} error=${action.error ?? roles.error} />
    <${Notice} text=${action.notice} />
    ${roles.data ? html`<${RolePicker} roles=${roles.data} chosen=${chosen} onChange=${setChosen} idPrefix="role" />` : null}
    <div><button type="submit" class="primary" disabled=${action.busy}>Save roles</button></div>
  </form>`;
}

function MfaPanel(props: { user: AdminUser; writable: boolean; onSaved: () => Promise<void>; revision: number; ask: Ask }): VNode {
  const status = useLoad(() => api<MfaStatus>('GET', `/api/v1/users/${props.user.id}/mfa`), [props.user.id, props.revision]);
  const action = useAction();
  const reset = async () => {
    if (
      await action.run(() => api('DELETE', `/api/v1/users/${props.user.id}/mfa`), 'Second factors removed; the user’s sessions have ended.')
    )
      await props.onSaved();
  };
  const s = status.data;
  const none = s && !s.totp.enabled && s.passkeys === 0;
  return html`<div class="stack panel" role="group" aria-labelledby="mfa-heading">
    <h2 id="mfa-heading">Second factors</h2>
    <${ErrorBanner} error=${action.error ?? status.error} />
    <${Notice} text=${action.notice} />
    ${
      s
        ? html`<dl class="facts">
            <dt>Authenticator app (TOTP)</dt>
            <dd>${s.totp.enabled ? `On since ${when(s.totp.confirmedAt)}` : 'Off'}</dd>
            <dt>Passkeys</dt>
            <dd>${s.passkeys}</dd>
            <dt>Recovery codes left</dt>
            <dd>${s.recoveryCodes.remaining}</dd>
          </dl>`
        : null
    }
    ${
      props.writable && s && !none
        ? html`<div>
            <${ConfirmButton}
              ask=${props.ask}
              label="Reset second factors"
              confirmation=${{
                title: `Reset the second factors of ${props.user.username}?`,
                message:
                  'Their authenticator app, passkeys and recovery codes are removed and their sessions end; they sign in with the password alone and enrol again. Needs a sign-in within the last 5 minutes.',
                confirmLabel: 'Reset second factors',
                action: reset,
              }}
            />
          </div>`
        : null
    }
  </div>`;
}

function SessionsPanel({ user, revision, ask }: { user: AdminUser; revision: number; ask: Ask }): VNode {
  const sessions = useLoad(() => api<Session[]>('GET', `/api/v1/users/${user.id}/sessions`), [user.id, revision]);
  const action = useAction();
  const end = async (session?: Session) => {
    const path = session ? `/api/v1/users/${user.id}/sessions/${session.id}` : `/api/v1/users/${user.id}/sessions`;
    if (await action.run(() => api('DELETE', path), session ? 'Session ended.' : 'Every session ended.')) await sessions.reload();
  };
  const columns: Column<Session>[] = [
    { header: 'Started', cell: (s) => when(s.createdAt) },
    { header: 'Last used', cell: (s) => when(s.lastUsedAt) },
    { header: 'Address', cell: (s) => s.ip ?? '—' },
    { header: 'Browser', cell: (s) => s.userAgent ?? '—' },
    {
      header: 'Actions',
      className: 'actions',
      cell: (s) =>
        html`<${ConfirmButton}
          ask=${ask}
          label="End"
          ariaLabel=${`End the session started ${when(s.createdAt)}`}
          confirmation=${{
            title: 'End this session?',
            message: `The session started ${when(s.createdAt)} from ${s.ip ?? 'an unknown address'} stops working at once.`,
            confirmLabel: 'End session',
            action: () => end(s),
          }}
        />`,
    },
  ];
  const rows = sessions.data ?? [];
  return html`<div class="stack panel" role="group" aria-labelledby="sessions-heading">
    <h2 id="sessions-heading">Sessions</h2>
    <${ErrorBanner} error=${action.error ?? sessions.error} />
    <${Notice} text=${action.notice} />
    <${Table}
      pageSize=${LIST_PAGE_SIZE}
      caption=${`Sessions of ${user.username}`}
      columns=${columns}
      rows=${rows}
      rowKey=${(s: Session) => s.id}
      empty="No active sessions."
    />
    ${
      rows.length > 1
        ? html`<div>
            <${ConfirmButton}
              ask=${ask}
              label="End all sessions"
              confirmation=${{
                title: `End every session of ${user.username}?`,
                message: 'They are signed out everywhere at once.',
                confirmLabel: 'End all sessions',
                action: () => end(),
              }}
            />
          </div>`
        : null
    }
  </div>`;
}

function TokensPanel({ user, revision, ask }: { user: AdminUser; revision: number; ask: Ask }): VNode {
  const tokens = useLoad(() => api<AccessToken[]>('GET', `/api/v1/users/${user.id}/tokens`), [user.id, revision]);
  const action = useAction();
  const revoke = async (token: AccessToken) => {
    if (await action.run(() => api('DELETE', `/api/v1/users/${user.id}/tokens/${token.id}`), `Token “${token.name}” revoked.`))
      await tokens.reload();
  };
  const columns: Column<AccessToken>[] = [
    { header: 'Name', cell: (token) => token.name },
    { header: 'Scopes', cell: (token) => token.scopes.join(', ') || '—' },
    { header: 'Last used', cell: (token) => when(token.lastUsedAt) },
    { header: 'Expires', cell: (token) => (token.expired ? html`<span class="badge warn">Expired</span>` : when(token.expiresAt)) },
    {
      header: 'Actions',
      className: 'actions',
      cell: (token) =>
        html`<${ConfirmButton}
          ask=${ask}
          label="Revoke"
          ariaLabel=${`Revoke token ${token.name}`}
          confirmation=${{
            title: `Revoke the token “${token.name}”?`,
            message: 'Anything using it is refused from now on.',
            confirmLabel: 'Revoke token',
            action: () => revoke(token),
          }}
        />`,
    },
  ];
  return html`<div class="stack panel" role="group" aria-labelledby="tokens-heading">
    <h2 id="tokens-heading">Personal access tokens</h2>
    <${ErrorBanner} error=${action.error ?? tokens.error} />
    <${Notice} text=${action.notice} />
    <${Table}
      pageSize=${LIST_PAGE_SIZE}
      caption=${`Personal access tokens of ${user.username}`}
      columns=${columns}
      rows=${tokens.data ?? []}
      rowKey=${(token: AccessToken) => token.id}
      empty="No personal access tokens."
    />
  </div>`;
}

function DeletePanel({ ctx, user, ask }: { ctx: PageContext; user: AdminUser; ask: Ask }): VNode {
  const action = useAction();
  const remove = async () => {
    if (await action.run(() => api('DELETE', `/api/v1/users/${user.id}`))) ctx.navigate(BASE);
  };
  return html`<div class="stack panel" role="group" aria-labelledby="delete-heading">
    <h2 id="delete-heading">Delete</h2>
    <${ErrorBanner} error=${action.error} />
    <div>
      <${ConfirmButton}
        ask=${ask}
        label="Delete user"
        confirmation=${{
          title: `Delete ${user.username}?`,
          message: 'The account, its sessions and tokens are removed for good. Disabling keeps them instead.',
          confirmLabel: 'Delete user',
          action: remove,
        }}
      />
    </div>
  </div>`;
}
