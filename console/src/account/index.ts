import { html } from 'htm/preact';
import type { ConsolePage } from '../ui/page';
import { ProfilePage } from './profile';
import { SecurityPage } from './security';
import { SessionsPage } from './sessions';
import { TokensPage } from './tokens';

/** My account: every signed-in user sees these pages (permission ''). */
export const accountPages: ConsolePage[] = [
  { path: '/account', title: 'Profile', permission: '', render: (ctx) => html`<${ProfilePage} ctx=${ctx} />` },
  { path: '/account/security', title: 'Sign-in security', permission: '', render: (ctx) => html`<${SecurityPage} ctx=${ctx} />` },
  { path: '/account/sessions', title: 'Sessions', permission: '', render: () => html`<${SessionsPage} />` },
  { path: '/account/tokens', title: 'Access tokens', permission: '', render: (ctx) => html`<${TokensPage} ctx=${ctx} />` },
];
