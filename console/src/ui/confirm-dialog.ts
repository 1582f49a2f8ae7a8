import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmDialogProps {
  /** Shown while true. */
  open: boolean;
  title: string;
  message: string;
  /** The confirming button's words, e.g. "Revoke token". */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * Asks before a destructive action: a modal <dialog> (focus moves into it and stays there, Escape
 * cancels, focus returns to the button that opened it). Cancel has the initial focus.
 */
export function ConfirmDialog(props: ConfirmDialogProps): VNode {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
      dialog.querySelector<HTMLButtonElement>('.cancel')?.focus();
    } else if (!props.open && dialog.open) {
      dialog.close();
      (opener.current as HTMLElement | null)?.focus?.();
    }
  }, [props.open]);
  const titleId = `dlg-title-${props.confirmLabel.replace(/\W+/g, '-')}`;
  return html`<dialog
    ref=${ref}
    class="dialog"
    aria-labelledby=${titleId}
    onCancel=${(event: Event) => {
      event.preventDefault();
      props.onCancel();
    }}
  >
    <h2 id=${titleId}>${props.title}</h2>
    <p>${props.message}</p>
    <div class="actions">
      <button type="button" class="cancel" onClick=${props.onCancel}>Cancel</button>
      <button type="button" class="danger" onClick=${props.onConfirm}>${props.confirmLabel}</button>
    </div>
  </dialog>`;
}
