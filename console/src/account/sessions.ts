import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api';
import { useConfirm } from '../ui/confirm-dialog';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { when } from '../ui/format';
import { LIST_PAGE_SIZE, Table } from '../ui/table';
import { useAction } from '../ui/use-action';
import { useLoad } from '../ui/use-load';

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** A short name for a browser from its user agent: "Chrome on Linux", or the raw string. */
export function device(userAgent: string | null): string {
  if (!userAgent) return 'Unknown';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : undefined;
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : undefined;
  return browser ? `${browser}${system ? ` on ${system}` : ''}` : userAgent;
}

/** Active sessions: where you are signed in; end one, or all but this one. */
export function SessionsPage(): VNode {
  const sessions = useLoad(() => api<SessionView[]>('GET', '/api/v1/users/me/sessions'));
  const action = useAction();
  const [dialog, confirm] = useConfirm();
  const end = async (session: SessionView) => {
    const sure = await confirm({
      title: 'End this session?',
      message: `${device(session.userAgent)}${session.ip ? ` from ${session.ip}` : ''} will be signed out.`,
      confirmLabel: 'End session',
    });
    if (!sure) return;
    await action.run(async () => {
      await api('DELETE', `/api/v1/users/me/sessions/${session.id}`);
      await sessions.reload();
      return 'Session ended.';
    });
  };
  const endOthers = async () => {
    const sure = await confirm({
      title: 'End all your other sessions?',
      message: 'Every browser and app signed in as you, except this one, will be signed out.',
      confirmLabel: 'End other sessions',
    });
    if (!sure) return;
    await action.run(async () => {
      await api('DELETE', '/api/v1/users/me/sessions');
      await sessions.reload();
      return 'Your other sessions have ended.';
    });
  };
  const list = sessions.data ?? [];
  return html`<section>
    <h1 tabindex="-1">Sessions</h1>
    <${ErrorBanner} error=${sessions.error ?? action.error} />
    <${Notice} text=${action.notice} />
    <p>Where you are signed in now. Ending a session signs that browser or app out at once.</p>
    <${Table}
      pageSize=${LIST_PAGE_SIZE}
      caption="Your active sessions"
      rows=${list}
      rowKey=${(s: SessionView) => s.id}
      empty=${sessions.loading ? 'Loading…' : 'No active sessions.'}
      columns=${[
        {
          header: 'Device',
          cell: (s: SessionView) => html`${device(s.userAgent)} ${s.current ? html`<span class="badge ok">This session</span>` : null}`,
        },
        { header: 'IP address', cell: (s: SessionView) => s.ip ?? '—' },
        { header: 'Signed in', cell: (s: SessionView) => when(s.createdAt) },
        { header: 'Last active', cell: (s: SessionView) => when(s.lastUsedAt) },
        {
          header: 'Actions',
          cell: (s: SessionView) =>
            s.current
              ? null
              : html`<button
                  type="button"
                  class="danger"
                  disabled=${action.busy}
                  aria-label=${`End session of ${device(s.userAgent)}, signed in ${when(s.createdAt)}`}
                  onClick=${() => end(s)}
                >
                  End
                </button>`,
        },
      ]}
    />
    ${
      list.some((s) => !s.current)
        ? html`<p><button type="button" class="danger" disabled=${action.busy} onClick=${endOthers}>End all other sessions</button></p>`
        : null
    }
    ${dialog}
  </section>`;
}
