import { html } from 'htm/preact';
import type { VNode } from 'preact';

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
export function Table<T>(props: { caption: string; columns: Column<T>[]; rows: T[]; rowKey: (row: T) => string; empty?: string }): VNode {
  if (props.rows.length === 0) return html`<p class="empty">${props.empty ?? 'Nothing here yet.'}</p>`;
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
