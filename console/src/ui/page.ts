import type { VNode } from 'preact';
import type { Principal } from '../api';

/** What a page is given by the shell. */
export interface PageContext {
  /** The signed-in user as the server sees them (GET /authenticate/me). */
  principal: Principal;
  /** Whether the user holds this permission now (a hint for the interface: the API decides). */
  can(permission: string): boolean;
  /** The part of the hash path after the page's own `path` (`/admin/users/42` → `/42`), or ''. */
  subpath: string;
  /** The hash's query (`#/admin/audit?user=…` → `user=…`). */
  query: URLSearchParams;
  /** Goes to another console path, e.g. `/admin/users?q=ann`. */
  navigate(path: string): void;
  /** Reads /authenticate/me again (after a change to the user's own roles, say). */
  reloadPrincipal(): Promise<void>;
}

/**
 * A page of the console. The shell lists it in the navigation, and renders it, only when the
 * signed-in user holds `permission` ('' for pages every signed-in user sees).
 */
export interface ConsolePage {
  /** The hash path, e.g. `/admin/users` (the page also gets `/admin/users/…`). */
  path: string;
  title: string;
  permission: string;
  render: (ctx: PageContext) => VNode;
}
