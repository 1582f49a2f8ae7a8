import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { messageOf, needsSignInAgain, signInAgain } from '../api';

/**
 * An API error in words (the error body's message), announced to screen readers. Nothing when there
 * is none. When the call needs a more recent (or a two-factor) sign-in, it says so and offers one.
 */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }): VNode | null {
  if (error === null || error === undefined) return null;
  if (needsSignInAgain(error)) {
    return html`<div class="banner banner-error" role="alert">
      <span>${messageOf(error).replace(/[.\s]+$/, '')}. Sign in again to confirm it is you; you come back to this page.</span>
      <button type="button" onClick=${signInAgain}>Sign in again</button>
    </div>`;
  }
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
