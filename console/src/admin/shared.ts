import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useConfirm as useConfirmDialog } from '../ui/confirm-dialog';

/** The permissions the administration pages (and the parts of them) need: docs/permissions.md. */
export const P = {
  usersRead: 'users:read',
  usersWrite: 'users:write',
  rolesWrite: 'roles:write',
  auditRead: 'audit:read',
  sessionsAdmin: 'sessions:admin',
  keysRotate: 'keys:rotate',
  clientsAdmin: 'clients:admin',
} as const;

export { useAction } from '../ui/use-action';

export interface Confirmation {
  title: string;
  message: string;
  confirmLabel: string;
  action: () => void | Promise<void>;
}

/**
 * The page's ConfirmDialog (A's promise-based `useConfirm`) as "ask, then act": `ask()` opens it, and
 * the confirmation's `action` runs only after its confirming button.
 */
export function useConfirm(): { ask: Ask; dialog: VNode } {
  const [dialog, confirm] = useConfirmDialog();
  const ask = (confirmation: Confirmation) => {
    void confirm(confirmation).then((yes) => (yes ? confirmation.action() : undefined));
  };
  return { ask, dialog };
}

export type Ask = (confirmation: Confirmation) => void;

/** A button for a destructive action: it opens the page's ConfirmDialog (useConfirm) with `confirmation`. */
export function ConfirmButton(props: {
  ask: Ask;
  disabled?: boolean;
  label: string;
  ariaLabel?: string;
  className?: string;
  confirmation: Confirmation;
}): VNode {
  return html`<button
    type="button"
    class=${props.className ?? 'danger'}
    aria-label=${props.ariaLabel}
    disabled=${props.disabled ?? false}
    onClick=${() => props.ask(props.confirmation)}
  >
    ${props.label}
  </button>`;
}

/** Pages through a list the API returns whole (roles, clients): `size` rows a page. */
export function pageOf<T>(rows: T[], page: number, size: number): T[] {
  return rows.slice((page - 1) * size, page * size);
}

/** The hash path with a query built from the non-empty values. */
export function withQuery(path: string, values: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Moving between a list and one of its items (`/admin/users` → `/admin/users/<id>`) is a new view
 * within the same page: focus goes to its heading, as the shell does for a new page.
 */
export function useHeadingFocus(view: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // After the view has rendered its heading.
    setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus(), 0);
  }, [view]);
}
