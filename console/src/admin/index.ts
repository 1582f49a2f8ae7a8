import { html } from 'htm/preact';
import type { ConsolePage } from '../ui/page';
import { AuditPage } from './audit';
import { ClientsPage } from './clients';
import { KeysPage } from './keys';
import { RolesPage } from './roles';
import { P } from './shared';
import { UsersPage } from './users';

/**
 * The administration pages: each shown (in the navigation and at its address) only to users who hold
 * its permission — the API refuses the calls anyway. Parts of a page that need another permission
 * (a user's sessions and tokens: sessions:admin; editing: users:write) appear only with it.
 */
export const adminPages: ConsolePage[] = [
  { path: '/admin/users', title: 'Users', permission: P.usersRead, render: (ctx) => html`<${UsersPage} ctx=${ctx} />` },
  { path: '/admin/roles', title: 'Roles', permission: P.rolesWrite, render: (ctx) => html`<${RolesPage} ctx=${ctx} />` },
  { path: '/admin/audit', title: 'Audit log', permission: P.auditRead, render: (ctx) => html`<${AuditPage} ctx=${ctx} />` },
  { path: '/admin/keys', title: 'Signing keys', permission: P.keysRotate, render: (ctx) => html`<${KeysPage} ctx=${ctx} />` },
  { path: '/admin/clients', title: 'Service clients', permission: P.clientsAdmin, render: (ctx) => html`<${ClientsPage} ctx=${ctx} />` },
];
