import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { type Column, Table } from '../ui/table';
import { useLoad } from '../ui/use-load';
import { ConfirmButton, useAction, useConfirm } from './shared';
import type { SigningKey } from './types';

const STATE: Record<SigningKey['state'], string> = {
  next: 'Next (published, not signing yet)',
  current: 'Current (signing)',
  retiring: 'Retiring (verifying older tokens)',
};

/** Signing keys: their state and dates (never key material), and rotation. */
export function KeysPage(_: { ctx: PageContext }): VNode {
  const keys = useLoad(() => api<SigningKey[]>('GET', '/api/v1/keys'));
  const action = useAction();
  const { ask, dialog } = useConfirm();
  const rotate = async () => {
    let created: SigningKey | undefined;
    await action.run(async () => {
      created = await api<SigningKey>('POST', '/api/v1/keys/rotate');
    });
    if (created) {
      await keys.reload();
      await action.run(() => Promise.resolve(), `New key ${created.kid} published; it signs from ${when(created.activatesAt)}.`);
    }
  };
  const columns: Column<SigningKey>[] = [
    { header: 'Key id', cell: (k) => html`<code>${k.kid}</code>` },
    { header: 'Algorithm', cell: (k) => k.alg },
    { header: 'State', cell: (k) => STATE[k.state] ?? k.state },
    { header: 'Published', cell: (k) => (k.published ? 'Yes' : 'No') },
    { header: 'Source', cell: (k) => k.source },
    { header: 'Created', cell: (k) => when(k.createdAt) },
    { header: 'Signs from', cell: (k) => when(k.activatesAt) },
    { header: 'Retires', cell: (k) => when(k.retiresAt) },
  ];
  return html`<section class="stack">
    <h1 tabindex="-1">Signing keys</h1>
    <p class="hint">
      A new key is published at once and signs after KEY_PUBLISH_DELAY; the key it replaces stays published until every token it signed has
      expired. Nobody is signed out.
    </p>
    <${ErrorBanner} error=${action.error ?? keys.error} />
    <${Notice} text=${action.notice} />
    <${Table} caption="Signing keys" columns=${columns} rows=${keys.data ?? []} rowKey=${(k: SigningKey) => k.kid} empty="No keys." />
    <div>
      <${ConfirmButton}
        ask=${ask}
        label="Rotate signing key"
        className="primary"
        disabled=${action.busy}
        confirmation=${{
          title: 'Rotate the signing key?',
          message: 'A new key is created and published now, and starts signing after the publish delay. Tokens already issued stay valid.',
          confirmLabel: 'Rotate key',
          action: rotate,
        }}
      />
    </div>
    ${dialog}
  </section>`;
}
