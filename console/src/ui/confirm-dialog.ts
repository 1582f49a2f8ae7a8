import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { uid } from './field';

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
  // A layout effect: the dialog opens and closes (and focus moves) in the same task as the render
  // that changed `open`, so no frame shows an emptied dialog or leaves focus nowhere.
  useLayoutEffect(() => {
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
  // Unique per dialog: a page may hold several (hidden) dialogs, and ids must not repeat.
  const titleId = useRef(uid('confirm-title')).current;
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

type Ask = { title: string; message: string; confirmLabel: string };

/**
 * A confirmation dialog as a promise: `const [dialog, confirm] = useConfirm()`, render `dialog`
 * somewhere on the page, and `if (await confirm({ … })) …` before a destructive call.
 */
export function useConfirm(): [VNode, (ask: Ask) => Promise<boolean>] {
  const [pending, setPending] = useState<(Ask & { resolve: (answer: boolean) => void }) | null>(null);
  const answer = (value: boolean) => {
    pending?.resolve(value);
    setPending(null);
  };
  const dialog = html`<${ConfirmDialog}
    open=${pending !== null}
    title=${pending?.title ?? ''}
    message=${pending?.message ?? ''}
    confirmLabel=${pending?.confirmLabel ?? 'Confirm'}
    onConfirm=${() => answer(true)}
    onCancel=${() => answer(false)}
  />`;
  const confirm = (ask: Ask) => new Promise<boolean>((resolve) => setPending({ ...ask, resolve }));
  return [dialog, confirm];
}
