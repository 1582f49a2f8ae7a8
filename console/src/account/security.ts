import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { Passkey } from '@gatehouse/client';
import { api, client } from '../api';
import { useConfirm } from '../ui/confirm-dialog';
import { CopyButton } from '../ui/copy-button';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field } from '../ui/field';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { ShownOnce } from '../ui/shown-once';
import { Table } from '../ui/table';
import { useAction } from '../ui/use-action';
import { useLoad } from '../ui/use-load';

interface MfaStatus {
  totp: { enabled: boolean; confirmedAt?: string };
  recoveryCodes: { remaining: number };
  passkeys: number;
  methods: string[];
}

interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** Second factors: the authenticator app (TOTP, with its QR code), recovery codes, passkeys. */
export function SecurityPage({ ctx }: { ctx: PageContext }): VNode {
  const status = useLoad(() => api<MfaStatus>('GET', '/api/v1/users/me/mfa'));
  const passkeys = useLoad(() => api<Passkey[]>('GET', '/api/v1/users/me/passkeys'));
  const [codes, setCodes] = useState<string[] | null>(null);
  const [dialog, confirm] = useConfirm();
  const restricted = ctx.principal.restriction === 'mfa_enrolment';
  const reload = async () => {
    await Promise.all([status.reload(), passkeys.reload()]);
  };
  const showCodes = (recoveryCodes: string[] | undefined) => {
    if (recoveryCodes && recoveryCodes.length > 0) setCodes(recoveryCodes);
  };
  return html`<section>
    <h1 tabindex="-1">Sign-in security</h1>
    ${
      ctx.principal.restriction === 'mfa_enrolment'
        ? html`<div class="banner banner-error" role="alert">
            Your role requires a second factor. Set one up below, then sign out and sign in again with it to use the rest of the console.
          </div>`
        : null
    }
    <${ErrorBanner} error=${status.error ?? passkeys.error} />
    ${codes ? html`<${RecoveryCodes} key=${codes.join()} codes=${codes} onDone=${() => setCodes(null)} />` : null}
    ${
      status.data
        ? html`<${Totp} status=${status.data} restricted=${restricted} onChanged=${reload} onCodes=${showCodes} confirm=${confirm} />
            <${Passkeys} list=${passkeys.data ?? []} restricted=${restricted} onChanged=${reload} onCodes=${showCodes} confirm=${confirm} />
            <${RecoveryPanel} status=${status.data} restricted=${restricted} onChanged=${reload} onCodes=${showCodes} confirm=${confirm} />`
        : status.loading
          ? html`<p>Loading…</p>`
          : null
    }
    ${dialog}
  </section>`;
}

type Confirm = ReturnType<typeof useConfirm>[1];
interface PanelProps {
  /** A session that may only enrol a factor: what changes an enrolled one is refused by the API, so not offered. */
  restricted: boolean;
  onChanged: () => Promise<void>;
  onCodes: (codes: string[] | undefined) => void;
  confirm: Confirm;
}

function Totp(props: PanelProps & { status: MfaStatus }): VNode {
  const action = useAction();
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [code, setCode] = useState('');
  const start = () =>
    action.run(async () => {
      setEnrolment(await api<TotpEnrolment>('POST', '/api/v1/users/me/mfa/totp'));
    });
  const finish = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const answer = await api<{ recoveryCodes?: string[] }>('POST', '/api/v1/users/me/mfa/totp/confirm', {
        code: code.replace(/\s+/g, ''),
      });
      setEnrolment(null);
      setCode('');
      props.onCodes(answer.recoveryCodes);
      await props.onChanged();
      return 'The authenticator app is set up. Your other sessions have ended.';
    });
  };
  const remove = async () => {
    const sure = await props.confirm({
      title: 'Turn off the authenticator app?',
      message: 'Codes from the app will no longer sign you in. Your other sessions end.',
      confirmLabel: 'Turn off',
    });
    if (!sure) return;
    await action.run(async () => {
      await api('DELETE', '/api/v1/users/me/mfa/totp');
      await props.onChanged();
      return 'The authenticator app is turned off.';
    });
  };
  const on = props.status.totp.enabled;
  return html`<div class="panel stack" role="region" aria-labelledby="totp-heading">
    <h2 id="totp-heading">Authenticator app</h2>
    <${ErrorBanner} error=${action.error} />
    <${Notice} text=${action.notice} />
    <p>
      ${
        on
          ? html`<span class="badge ok">On</span> since ${when(props.status.totp.confirmedAt)}`
          : html`<span class="badge">Off</span> A code from an app such as FreeOTP, Aegis or Google Authenticator as a second step when you
              sign in.`
      }
    </p>
    ${
      on
        ? props.restricted
          ? null
          : html`<div>
              <button type="button" class="danger" disabled=${action.busy} onClick=${remove}>Turn off the authenticator app</button>
            </div>`
        : enrolment
          ? html`<div class="stack">
              <p>Scan this code with your authenticator app, then type the six digits it shows.</p>
              <img
                class="qr"
                src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`}
                alt="QR code of your authenticator app key"
              />
              <p>Or type this key into the app:</p>
              <div class="inline-actions">
                <code class="secret" id="totp-secret">${enrolment.secret}</code><${CopyButton} text=${enrolment.secret} label="Copy key" />
              </div>
              <form class="stack" onSubmit=${finish} aria-label="Confirm the authenticator app">
                <${Field}
                  label="Code from the app"
                  name="totp-code"
                  value=${code}
                  onInput=${setCode}
                  autocomplete="one-time-code"
                  inputmode="numeric"
                  required
                />
                <div class="inline-actions">
                  <button type="submit" class="primary" disabled=${action.busy}>Turn on</button>
                  <button type="button" onClick=${() => setEnrolment(null)}>Cancel</button>
                </div>
              </form>
            </div>`
          : html`<div>
              <button type="button" class="primary" disabled=${action.busy} onClick=${start}>Set up an authenticator app</button>
            </div>`
    }
  </div>`;
}

function Passkeys(props: PanelProps & { list: Passkey[] }): VNode {
  const action = useAction();
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const add = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const registered = await client.registerPasskey(name.trim());
      setName('');
      props.onCodes(registered.recoveryCodes);
      await props.onChanged();
      return `Passkey “${registered.passkey.name}” added. Your other sessions have ended.`;
    });
  };
  const rename = (event: Event) => {
    event.preventDefault();
    if (!renaming) return;
    void action.run(async () => {
      await api('PATCH', `/api/v1/users/me/passkeys/${renaming.id}`, { name: renaming.name.trim() });
      setRenaming(null);
      await props.onChanged();
      return 'Passkey renamed.';
    });
  };
  const remove = async (passkey: Passkey) => {
    const sure = await props.confirm({
      title: `Remove the passkey “${passkey.name}”?`,
      message: 'It will no longer sign you in. Your other sessions end.',
      confirmLabel: 'Remove passkey',
    });
    if (!sure) return;
    await action.run(async () => {
      await api('DELETE', `/api/v1/users/me/passkeys/${passkey.id}`);
      await props.onChanged();
      return `Passkey “${passkey.name}” removed.`;
    });
  };
  return html`<div class="panel stack" role="region" aria-labelledby="passkeys-heading">
    <h2 id="passkeys-heading">Passkeys</h2>
    <${ErrorBanner} error=${action.error} />
    <${Notice} text=${action.notice} />
    <${Table}
      caption="Your passkeys"
      rows=${props.list}
      rowKey=${(p: Passkey) => p.id}
      empty="No passkeys yet."
      columns=${[
        {
          header: 'Name',
          cell: (p: Passkey) =>
            renaming?.id === p.id
              ? html`<form class="inline-actions" onSubmit=${rename} aria-label=${`Rename ${p.name}`}>
                  <${Field}
                    label="New name"
                    name="passkey-rename"
                    value=${renaming.name}
                    onInput=${(value: string) => setRenaming({ id: p.id, name: value })}
                    required
                  />
                  <button type="submit" class="primary">Save</button>
                  <button type="button" onClick=${() => setRenaming(null)}>Cancel</button>
                </form>`
              : p.name,
        },
        { header: 'Kind', cell: (p: Passkey) => (p.backedUp ? 'Synced' : 'This device only') },
        { header: 'Added', cell: (p: Passkey) => when(p.createdAt) },
        { header: 'Last used', cell: (p: Passkey) => when(p.lastUsedAt) },
        {
          header: 'Actions',
          cell: (p: Passkey) =>
            props.restricted
              ? '—'
              : html`<div class="inline-actions">
                  <button type="button" aria-label=${`Rename ${p.name}`} onClick=${() => setRenaming({ id: p.id, name: p.name })}>
                    Rename
                  </button>
                  <button type="button" class="danger" aria-label=${`Remove ${p.name}`} onClick=${() => remove(p)}>Remove</button>
                </div>`,
        },
      ]}
    />
    <form class="stack" onSubmit=${add} aria-label="Add a passkey">
      <${Field} label="Name of the new passkey" name="passkey-name" value=${name} onInput=${setName} required hint="e.g. Work laptop" />
      <div><button type="submit" class="primary" disabled=${action.busy}>Add a passkey</button></div>
    </form>
  </div>`;
}

function RecoveryPanel(props: PanelProps & { status: MfaStatus }): VNode {
  const action = useAction();
  const hasFactor = props.status.totp.enabled || props.status.passkeys > 0;
  const regenerate = async () => {
    const sure = await props.confirm({
      title: 'Make new recovery codes?',
      message: 'Your current recovery codes stop working. Your other sessions end.',
      confirmLabel: 'Make new codes',
    });
    if (!sure) return;
    await action.run(async () => {
      const answer = await api<{ recoveryCodes: string[] }>('POST', '/api/v1/users/me/mfa/recovery-codes');
      props.onCodes(answer.recoveryCodes);
      await props.onChanged();
    });
  };
  return html`<div class="panel stack" role="region" aria-labelledby="recovery-heading">
    <h2 id="recovery-heading">Recovery codes</h2>
    <${ErrorBanner} error=${action.error} />
    <p>
      ${
        hasFactor
          ? `${props.status.recoveryCodes.remaining} unused recovery codes left. Each signs you in once when your app or passkey is not at hand.`
          : 'Recovery codes come with your first second factor.'
      }
    </p>
    ${hasFactor && !props.restricted ? html`<div><button type="button" disabled=${action.busy} onClick=${regenerate}>Make new recovery codes</button></div>` : null}
  </div>`;
}

/** Codes shown once, right after they were made. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }): VNode {
  return html`<${ShownOnce} headingId="codes-heading" title="Your new recovery codes">
    <p>Store them somewhere safe now: they are shown only this once. Each works once.</p>
    <ul class="codes" aria-label="Recovery codes">
      ${codes.map((c) => html`<li key=${c}>${c}</li>`)}
    </ul>
    <div class="inline-actions">
      <${CopyButton} text=${codes.join('\n')} label="Copy the codes" />
      <button type="button" onClick=${onDone}>I have stored them</button>
    </div>
  <//>`;
}
