import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { Pager } from './pager';

/** Rows a page in lists the API answers whole (a user's sessions and tokens). */
export const LIST_PAGE_SIZE = 10;

export interface Column<T> {
  header: string;
  cell: (row: T) => unknown;
  /** A class for the column's cells (e.g. 'num', 'actions'). */
  className?: string;
}

/**
 * A data table with a caption (its accessible name); on narrow screens each row becomes a card and
 * each cell shows its column's header (data-label, drawn by CSS).
 */
export function Table<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty?: string;
  /** For a list the API answers whole: show this many rows a page, with a pager below when there are more. */
  pageSize?: number;
}): VNode {
  const [page, setPage] = useState(1);
  if (props.rows.length === 0) return html`<p class="empty">${props.empty ?? 'Nothing here yet.'}</p>`;
  const size = props.pageSize ?? props.rows.length;
  const pages = Math.max(1, Math.ceil(props.rows.length / size));
  // A list that shrank (a row ended or revoked) keeps a page that exists.
  const current = Math.min(page, pages);
  const rows = props.rows.slice((current - 1) * size, current * size);
  return html`${TableOf({ ...props, rows })}${
    pages > 1
      ? html`<${Pager}
          label=${`Pages of ${props.caption.toLowerCase()}`}
          page=${current}
          limit=${size}
          total=${props.rows.length}
          onPage=${setPage}
        />`
      : null
  }`;
}

function TableOf<T>(props: { caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string }): VNode {
  return html`<div class="table-wrap">
    <table class="table">
      <caption class="sr-only">
        ${props.caption}
      </caption>
      <thead>
        <tr>
          ${props.columns.map((c) => html`<th scope="col" class=${c.className}>${c.header}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${props.rows.map(
          (row) =>
            html`<tr key=${props.rowKey(row)}>
              ${props.columns.map((c) => html`<td data-label=${c.header} class=${c.className}>${c.cell(row)}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
