import { html } from 'htm/preact';
import type { VNode } from 'preact';

/** Previous / next for a paged list: `page` from 1; `total` when the API tells it, else `hasMore`. */
export function Pager(props: {
  page: number;
  limit: number;
  total?: number;
  hasMore?: boolean;
  onPage: (page: number) => void;
  label?: string;
}): VNode {
  const pages = props.total !== undefined ? Math.max(1, Math.ceil(props.total / props.limit)) : undefined;
  const hasNext = pages !== undefined ? props.page < pages : (props.hasMore ?? false);
  return html`<nav class="pager" aria-label=${props.label ?? 'Pages'}>
    <button type="button" disabled=${props.page <= 1} onClick=${() => props.onPage(props.page - 1)}>Previous</button>
    <span aria-live="polite">Page ${props.page}${pages !== undefined ? ` of ${pages}` : ''}</span>
    <button type="button" disabled=${!hasNext} onClick=${() => props.onPage(props.page + 1)}>Next</button>
  </nav>`;
}
