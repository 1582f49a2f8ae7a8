import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useConfirm } from '../ui/confirm-dialog';
import { CopyButton } from '../ui/copy-button';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { CheckboxGroup, Field } from '../ui/field';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { ShownOnce } from '../ui/shown-once';
import { LIST_PAGE_SIZE, Table } from '../ui/table';
import { useAction } from '../ui/use-action';
import { useLoad } from '../ui/use-load';

/** A personal access token as GET /api/v1/users/me/tokens lists it (never the token itself). */
export interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  expired: boolean;
}

/** Personal access tokens: made with a subset of your permissions, shown once, listed, revoked. */
export function TokensPage({ ctx }: { ctx: PageContext }): VNode {
  const tokens = useLoad(() => api<TokenView[]>('GET', '/api/v1/users/me/tokens'));
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const [name, setName] = useState('');
  const [days, setDays] = useState('30');
  const [scopes, setScopes] = useState<string[]>([]);
  const [created, setCreated] = useState<{ id: string; name: string; token: string } | null>(null);
  const permissions = ctx.principal.permissions;

  const create = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const answer = await api<TokenView & { token: string }>('POST', '/api/v1/users/me/tokens', {
        name: name.trim(),
        scopes,
        expiresInDays: Number(days),
      });
      setCreated({ id: answer.id, name: answer.name, token: answer.token });
      setName('');
      setScopes([]);
      await tokens.reload();
    });
  };
  const revoke = async (token: TokenView) => {
    const sure = await confirm({
      title: `Revoke “${token.name}”?`,
      message: 'Scripts using this token are refused from now on. This cannot be undone.',
      confirmLabel: 'Revoke token',
    });
    if (!sure) return;
    await action.run(async () => {
      await api('DELETE', `/api/v1/users/me/tokens/${token.id}`);
      if (created?.id === token.id) setCreated(null);
      await tokens.reload();
      return `Token “${token.name}” revoked.`;
    });
  };

  return html`<section>
    <h1 tabindex="-1">Access tokens</h1>
    <${ErrorBanner} error=${tokens.error ?? action.error} />
    <${Notice} text=${action.notice} />
    <p>
      Personal access tokens let scripts call the API as you, within the permissions you pick. Send one as ${' '}<code
        >Authorization: Bearer gth_…</code
      >.
    </p>
    ${
      created
        ? html`<${ShownOnce} key=${created.id} headingId="created-heading" title=${`Your new token “${created.name}”`}>
            <p>Copy it now: it is shown only this once.</p>
            <code class="secret" id="new-token">${created.token}</code>
            <div class="inline-actions">
              <${CopyButton} text=${created.token} label="Copy token" />
              <button type="button" onClick=${() => setCreated(null)}>Done</button>
            </div>
          <//>`
        : null
    }
    <form class="panel stack" onSubmit=${create} aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">New token</h2>
      <div class="row">
        <${Field} label="Name" name="token-name" value=${name} onInput=${setName} required hint="What it is for, e.g. nightly export" />
        <${Field} label="Expires in (days)" name="token-days" type="number" value=${days} onInput=${setDays} required inputmode="numeric" />
      </div>
      <${CheckboxGroup}
        legend="Permissions"
        name="scopes"
        idPrefix="scope"
        layout="choice"
        options=${permissions}
        chosen=${scopes}
        onChange=${setScopes}
        empty="You hold no permissions: the token can read your own account only."
      />
      <div><button type="submit" class="primary" disabled=${action.busy}>Create token</button></div>
    </form>
    <h2>Your tokens</h2>
    <${Table}
      pageSize=${LIST_PAGE_SIZE}
      caption="Your personal access tokens"
      rows=${tokens.data ?? []}
      rowKey=${(t: TokenView) => t.id}
      empty=${tokens.loading ? 'Loading…' : 'No tokens yet.'}
      columns=${[
        { header: 'Name', cell: (t: TokenView) => t.name },
        { header: 'Permissions', cell: (t: TokenView) => t.scopes.join(', ') || '—' },
        { header: 'Created', cell: (t: TokenView) => when(t.createdAt) },
        { header: 'Last used', cell: (t: TokenView) => when(t.lastUsedAt) },
        { header: 'Expires', cell: (t: TokenView) => when(t.expiresAt) },
        {
          header: 'Actions',
          cell: (t: TokenView) =>
            html`<button type="button" class="danger" aria-label=${`Revoke ${t.name}`} onClick=${() => revoke(t)}>Revoke</button>`,
        },
      ]}
    />
    ${dialog}
  </section>`;
}
