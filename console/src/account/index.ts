import { html } from 'htm/preact';
import type { ConsolePage } from '../ui/page';
import { ProfilePage } from './profile';

/** My account: every signed-in user sees these pages (permission ''). */
export const accountPages: ConsolePage[] = [
  { path: '/account', title: 'Profile', permission: '', render: (ctx) => html`<${ProfilePage} ctx=${ctx} />` },
];
