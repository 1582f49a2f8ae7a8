import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { CopyButton } from '../ui/copy-button';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { CheckboxGroup, Field } from '../ui/field';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { ShownOnce } from '../ui/shown-once';
import { type Column, LIST_PAGE_SIZE, Table } from '../ui/table';
import { useLoad } from '../ui/use-load';
import { ConfirmButton, useAction, useConfirm } from './shared';
import type { ServiceClient, ServiceClientWithSecret } from './types';

/** The secret of a client just registered or rotated: shown here once, with a copy button. */
function SecretPanel({ shown, onDone }: { shown: ServiceClientWithSecret; onDone: () => void }): VNode {
  return html`<${ShownOnce} headingId="secret-heading" title=${`Secret of ${shown.name}`}>
    <p>
      <strong>Copy the secret now: it is not shown again.</strong> The client authenticates at POST /oauth/token with its id and secret.
    </p>
    <dl class="facts">
      <dt>Client id</dt>
      <dd><code>${shown.client_id}</code> <${CopyButton} text=${shown.client_id} label="Copy client id" /></dd>
      <dt>Client secret</dt>
      <dd>
        <code class="secret" data-testid="client-secret">${shown.client_secret}</code>
        <${CopyButton} text=${shown.client_secret} label="Copy secret" />
      </dd>
    </dl>
    <div><button type="button" onClick=${onDone}>I have stored the secret</button></div>
  <//>`;
}

/** Service clients (OAuth client credentials): register (secret shown once), rotate the secret, delete. */
export function ClientsPage({ ctx }: { ctx: PageContext }): VNode {
  const clients = useLoad(() => api<ServiceClient[]>('GET', '/api/v1/clients'));
  const [shown, setShown] = useState<ServiceClientWithSecret | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const register = useAction();
  const rowAction = useAction();
  const { ask, dialog } = useConfirm();
  const held = ctx.principal.permissions;

  const submit = async (event: Event) => {
    event.preventDefault();
    let created: ServiceClientWithSecret | undefined;
    await register.run(async () => {
      created = await api<ServiceClientWithSecret>('POST', '/api/v1/clients', { name, scopes });
    });
    if (created) {
      setShown(created);
      setName('');
      setScopes([]);
      await clients.reload();
    }
  };
  const rotate = async (client: ServiceClient) => {
    let rotated: ServiceClientWithSecret | undefined;
    await rowAction.run(async () => {
      rotated = await api<ServiceClientWithSecret>('POST', `/api/v1/clients/${client.client_id}/secret`, {});
    });
    if (rotated) {
      setShown(rotated);
      await clients.reload();
    }
  };
  const remove = async (client: ServiceClient) => {
    if (await rowAction.run(() => api('DELETE', `/api/v1/clients/${client.client_id}`), `Client ${client.name} deleted.`))
      await clients.reload();
  };
  const columns: Column<ServiceClient>[] = [
    { header: 'Name', cell: (c) => c.name },
    { header: 'Client id', cell: (c) => html`<code>${c.client_id}</code>` },
    { header: 'Scopes', cell: (c) => c.scopes.join(', ') || '—' },
    {
      header: 'Status',
      cell: (c) => (c.enabled ? html`<span class="badge ok">Enabled</span>` : html`<span class="badge warn">Disabled</span>`),
    },
    { header: 'Created', cell: (c) => when(c.createdAt) },
    {
      header: 'Secret rotated',
      cell: (c) =>
        c.previousSecretExpiresAt
          ? `${when(c.secretRotatedAt)} (old one works until ${when(c.previousSecretExpiresAt)})`
          : when(c.secretRotatedAt),
    },
    {
      header: 'Actions',
      className: 'actions',
      cell: (c) =>
        html`<span class="inline-actions">
          <${ConfirmButton}
            ask=${ask}
            label="Rotate secret"
            ariaLabel=${`Rotate secret of ${c.name}`}
            confirmation=${{
              title: `Rotate the secret of ${c.name}?`,
              message:
                'A new secret is shown once; the current one keeps working for the grace period (CLIENT_SECRET_ROTATION_GRACE), then stops.',
              confirmLabel: 'Rotate secret',
              action: () => rotate(c),
            }}
          />
          <${ConfirmButton}
            ask=${ask}
            label="Delete"
            ariaLabel=${`Delete ${c.name}`}
            confirmation=${{
              title: `Delete ${c.name}?`,
              message: 'Its secret stops working and its tokens are refused at once.',
              confirmLabel: 'Delete client',
              action: () => remove(c),
            }}
          />
        </span>`,
    },
  ];
  const all = clients.data ?? [];
  return html`<section class="stack">
    <h1 tabindex="-1">Service clients</h1>
    <p class="hint">Programs that get tokens with the OAuth client-credentials grant (POST /oauth/token).</p>
    ${shown ? html`<${SecretPanel} key=${shown.client_secret} shown=${shown} onDone=${() => setShown(null)} />` : null}
    <${ErrorBanner} error=${rowAction.error ?? clients.error} />
    <${Notice} text=${rowAction.notice} />
    <${Table}
      caption="Service clients"
      columns=${columns}
      rows=${all}
      pageSize=${LIST_PAGE_SIZE}
      rowKey=${(c: ServiceClient) => c.client_id}
      empty="No service clients."
    />
    <form class="stack panel" onSubmit=${submit} aria-labelledby="register-heading">
      <h2 id="register-heading">Register a client</h2>
      <${ErrorBanner} error=${register.error} />
      <${Field} label="Client name" name="clientName" value=${name} onInput=${setName} required hint="e.g. billing-service" />
      <${CheckboxGroup}
        legend="Scopes (only permissions you hold)"
        name="scopes"
        idPrefix="scope"
        options=${held}
        chosen=${scopes}
        onChange=${setScopes}
      />
      <div><button type="submit" class="primary" disabled=${register.busy}>Register client</button></div>
    </form>
    ${dialog}
  </section>`;
}
