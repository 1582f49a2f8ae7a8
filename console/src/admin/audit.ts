import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, apiText } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { Field } from '../ui/field';
import { when } from '../ui/format';
import type { PageContext } from '../ui/page';
import { Pager } from '../ui/pager';
import { type Column, Table } from '../ui/table';
import { useLoad } from '../ui/use-load';
import { useOnChange } from '../ui/use-on-change';
// The server's own list (a plain constant, bundled as is): the filter offers exactly the types it accepts.
import { AUDIT_EVENT_TYPES } from '../../../src/audit/audit-event-types';
import { P, useAction, withQuery } from './shared';
import type { AdminUser, AuditEvent, Paged } from './types';

const PAGE_SIZE = 25;
const BASE = '/admin/audit';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An ISO time as a datetime-local input shows it (local time, to the minute). */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value (local time) as ISO 8601 UTC; `end` takes the last millisecond of that minute. */
function fromLocalInput(value: string, end = false): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  return new Date(date.getTime() + (end ? 59_999 : 0)).toISOString();
}

function details(event: AuditEvent): string {
  if (!event.details) return '';
  return Object.entries(event.details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('; ');
}

/** Saves `text` as a file through a temporary object URL (a download; nothing leaves the page). */
function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The audit log: filters by user, type and time (in the hash's query), newest first, pages, CSV export. */
export function AuditPage({ ctx }: { ctx: PageContext }): VNode {
  const filters = {
    userId: ctx.query.get('userId') ?? '',
    type: ctx.query.get('type') ?? '',
    from: ctx.query.get('from') ?? '',
    to: ctx.query.get('to') ?? '',
  };
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const key = JSON.stringify(filters);
  const events = useLoad(
    () => api<Paged<AuditEvent>>('GET', withQuery('/api/v1/audit', { ...filters, page, limit: PAGE_SIZE })),
    [key, page],
  );
  const [user, setUser] = useState(filters.userId);
  const [type, setType] = useState(filters.type);
  const [from, setFrom] = useState(toLocalInput(filters.from));
  const [to, setTo] = useState(toLocalInput(filters.to));
  const action = useAction();
  useOnChange(key, () => {
    setUser(filters.userId);
    setType(filters.type);
    setFrom(toLocalInput(filters.from));
    setTo(toLocalInput(filters.to));
  });

  /** The user field holds an id, or (for those who may read users) a username looked up exactly. */
  const resolveUser = async (value: string): Promise<string> => {
    const wanted = value.trim();
    if (!wanted || UUID.test(wanted)) return wanted.toLowerCase();
    if (!ctx.can(P.usersRead)) throw new Error('Enter the user’s id (you may not look users up by name).');
    const found = await api<Paged<AdminUser>>('GET', withQuery('/api/v1/users', { q: wanted, limit: 100 }));
    const match = found.items.find((candidate) => candidate.username.toLowerCase() === wanted.toLowerCase());
    if (!match) throw new Error(`No user is named “${wanted}”.`);
    return match.id;
  };
  const apply = async (event: Event) => {
    event.preventDefault();
    let userId = '';
    if (
      !(await action.run(async () => {
        userId = await resolveUser(user);
      }))
    )
      return;
    ctx.navigate(withQuery(BASE, { userId, type, from: fromLocalInput(from), to: fromLocalInput(to, true) }));
  };
  const exportCsv = () =>
    action.run(async () => {
      const csv = await apiText(withQuery('/api/v1/audit', filters));
      download(csv, `gatehouse-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.csv`);
    }, 'The CSV file of every event these filters match has been downloaded.');

  // A user's name links to their events alone (the filters kept).
  const userCell = (e: AuditEvent) => {
    const name = e.username ?? e.userId;
    if (!name) return '—';
    return e.userId ? html`<a href=${`#${withQuery(BASE, { ...filters, userId: e.userId, page: undefined })}`}>${name}</a>` : name;
  };
  const columns: Column<AuditEvent>[] = [
    { header: 'Time', cell: (e) => html`<time datetime=${e.timestamp}>${when(e.timestamp)}</time>` },
    { header: 'Type', cell: (e) => e.type },
    { header: 'User', cell: userCell },
    { header: 'Actor', cell: (e) => (e.actor === 'cli' ? 'command line' : (e.actorId ?? '—')) },
    { header: 'Address', cell: (e) => e.ip ?? '—' },
    { header: 'Details', cell: (e) => details(e) || '—' },
  ];
  const filtered = Object.values(filters).some(Boolean);
  return html`<section class="stack">
    <h1 tabindex="-1">Audit log</h1>
    <form class="stack panel" onSubmit=${apply} aria-labelledby="filters-heading">
      <h2 id="filters-heading">Filters</h2>
      <div class="row">
        <${Field}
          label="User"
          name="user"
          value=${user}
          onInput=${setUser}
          hint=${ctx.can(P.usersRead) ? 'Username or user id' : 'User id'}
        />
        <div class="field">
          <label for="audit-type">Event type</label>
          <select id="audit-type" name="type" value=${type} onChange=${(e: Event) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">Any type</option>
            ${AUDIT_EVENT_TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
          </select>
        </div>
      </div>
      <div class="row">
        <${Field} label="From" name="from" type="datetime-local" value=${from} onInput=${setFrom} hint="Your local time" />
        <${Field} label="To" name="to" type="datetime-local" value=${to} onInput=${setTo} hint="Your local time, inclusive" />
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled=${action.busy}>Apply filters</button>
        ${filtered ? html`<button type="button" onClick=${() => ctx.navigate(BASE)}>Clear filters</button>` : null}
        <button type="button" onClick=${exportCsv} disabled=${action.busy}>Export CSV</button>
      </div>
    </form>
    <${ErrorBanner} error=${action.error ?? events.error} />
    <${Notice} text=${action.notice} />
    ${
      events.data
        ? html`<p role="status">${events.data.total} ${events.data.total === 1 ? 'event' : 'events'}, newest first</p>
            <${Table}
              caption="Audit events"
              columns=${columns}
              rows=${events.data.items}
              rowKey=${(e: AuditEvent) => e.id}
              empty="No event matches these filters."
            />
            <${Pager}
              label="Pages of events"
              page=${page}
              limit=${PAGE_SIZE}
              total=${events.data.total}
              onPage=${(next: number) => ctx.navigate(withQuery(BASE, { ...filters, page: next }))}
            />`
        : events.loading
          ? html`<p class="loading">Loading…</p>`
          : null
    }
  </section>`;
}
