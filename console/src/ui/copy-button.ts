import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';

/** Copies `text` to the clipboard; says so (or that it could not) in a live region. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }): VNode {
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setStatus('Copied');
    } catch {
      setStatus('Copying failed: select the text and copy it yourself');
    }
  };
  return html`<span class="copy">
    <button type="button" onClick=${copy}>${label}</button>
    <span role="status" class="copy-status">${status}</span>
  </span>`;
}
