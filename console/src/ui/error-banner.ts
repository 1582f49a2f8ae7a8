import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { messageOf } from '../api';

/** An API error in words (the error body's message), announced to screen readers. Nothing when there is none. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }): VNode | null {
  if (error === null || error === undefined) return null;
  return html`<div class="banner banner-error" role="alert">
    <span>${messageOf(error)}</span>
    ${onDismiss ? html`<button type="button" class="link" onClick=${onDismiss}>Dismiss</button>` : null}
  </div>`;
}

/** A success or information line, announced politely. */
export function Notice({ text }: { text: string | null }): VNode | null {
  if (!text) return null;
  return html`<div class="banner banner-ok" role="status">${text}</div>`;
}
