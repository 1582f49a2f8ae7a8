import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBanner, Notice } from '../ui/error-banner';
import { CheckboxGroup, Field } from '../ui/field';
import type { PageContext } from '../ui/page';
import { Pager } from '../ui/pager';
import { type Column, Table } from '../ui/table';
import { useLoad } from '../ui/use-load';
import { ConfirmButton, pageOf, useAction, useConfirm, useHeadingFocus } from './shared';
import { BUILT_IN_ROLES, type Role } from './types';

const PAGE_SIZE = 10;
const BASE = '/admin/roles';
const PERMISSION = /^[a-z0-9_.:-]{1,64}$/;

/** Roles and the permissions they grant: the list, a new role, `/<id>` to edit one. */
export function RolesPage({ ctx }: { ctx: PageContext }): VNode {
  const roles = useLoad(() => api<Role[]>('GET', '/api/v1/roles'));
  const id = ctx.subpath.replace(/^\//, '');
  useHeadingFocus(id);
  const page = Math.max(1, Number(ctx.query.get('page')) || 1);
  const all = roles.data ?? [];
  const role = id ? all.find((candidate) => candidate.id === id) : undefined;
  if (id) {
    return html`<section class="stack">
      <p><a href=${`#${BASE}`}>← All roles</a></p>
      <h1 tabindex="-1">Role ${role?.name ?? ''}</h1>
      <${ErrorBanner} error=${roles.error} />
      ${
        role
          ? html`<${RoleEditor} key=${role.id} ctx=${ctx} role=${role} roles=${all} onSaved=${roles.reload} />`
          : roles.loading
            ? html`<p class="loading">Loading…</p>`
            : html`<p>No such role.</p>`
      }
    </section>`;
  }
  const columns: Column<Role>[] = [
    { header: 'Role', cell: (r) => html`<a href=${`#${BASE}/${r.id}`}>${r.name}</a>` },
    { header: 'Description', cell: (r) => r.description ?? '—' },
    { header: 'Permissions', cell: (r) => r.permissions.join(', ') || '—' },
  ];
  return html`<section class="stack">
    <h1 tabindex="-1">Roles and permissions</h1>
    <p class="hint">
      A role grants permissions; users hold roles. Changes reach live sessions within seconds. ADMIN always holds every built-in permission.
    </p>
    <${ErrorBanner} error=${roles.error} />
    <${Table} caption="Roles" columns=${columns} rows=${pageOf(all, page, PAGE_SIZE)} rowKey=${(r: Role) => r.id} empty="No roles." />
    ${
      all.length > PAGE_SIZE
        ? html`<${Pager}
            label="Pages of roles"
            page=${page}
            limit=${PAGE_SIZE}
            total=${all.length}
            onPage=${(next: number) => ctx.navigate(`${BASE}?page=${next}`)}
          />`
        : null
    }
    <${NewRole} ctx=${ctx} onCreated=${roles.reload} />
  </section>`;
}

function NewRole({ ctx, onCreated }: { ctx: PageContext; onCreated: () => Promise<void> }): VNode {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    let created: Role | undefined;
    await action.run(async () => {
      created = await api<Role>('POST', '/api/v1/roles', { name, ...(description ? { description } : {}) });
    });
    if (created) {
      await onCreated();
      ctx.navigate(`${BASE}/${created.id}`);
    }
  };
  return html`<form class="stack panel" onSubmit=${submit} aria-labelledby="new-role-heading">
    <h2 id="new-role-heading">New role</h2>
    <${ErrorBanner} error=${action.error} />
    <div class="row">
      <${Field}
        label="Role name"
        name="name"
        value=${name}
        onInput=${setName}
        required
        hint="Letters, digits, _ - and . ; starts with a letter (e.g. AUDITOR)"
      />
      <${Field} label="Description" name="description" value=${description} onInput=${setDescription} />
    </div>
    <div><button type="submit" class="primary" disabled=${action.busy}>Create role</button></div>
  </form>`;
}

function RoleEditor(props: { ctx: PageContext; role: Role; roles: Role[]; onSaved: () => Promise<void> }): VNode {
  const { role } = props;
  // Every permission some role grants (ADMIN's list holds every built-in one), and those added here.
  const known = [...new Set(props.roles.flatMap((r) => r.permissions))].sort();
  const [chosen, setChosen] = useState<string[]>(role.permissions);
  const [extra, setExtra] = useState<string[]>([]);
  const [added, setAdded] = useState('');
  const [description, setDescription] = useState(role.description ?? '');
  const perms = useAction();
  const about = useAction();
  const removal = useAction();
  const { ask, dialog } = useConfirm();
  useEffect(() => setChosen(role.permissions), [role]);
  const options = [...new Set([...known, ...extra])].sort();
  const add = () => {
    const value = added.trim();
    if (!PERMISSION.test(value)) {
      void perms.run(() => Promise.reject(new Error('A permission holds 1–64 lower-case letters, digits, "_", ".", ":" or "-".')));
      return;
    }
    setExtra([...extra, value]);
    if (!chosen.includes(value)) setChosen([...chosen, value]);
    setAdded('');
  };
  const storePermissions = async () => {
    if (await perms.run(() => api('PUT', `/api/v1/roles/${role.id}/permissions`, { permissions: chosen }), 'Permissions saved.')) {
      await props.onSaved();
      // A role you hold: the menu must follow what the server now grants you.
      if (props.ctx.principal.roles.includes(role.name)) await props.ctx.reloadPrincipal();
    }
  };
  const savePermissions = (event: Event) => {
    event.preventDefault();
    // Taking a permission away is destructive (every holder's live tokens lose it): asked first.
    const removed = role.permissions.filter((permission) => !chosen.includes(permission));
    if (removed.length === 0) return void storePermissions();
    ask({
      title: 'Remove permissions?',
      message: `Everyone holding ${role.name} loses ${removed.join(', ')} within seconds.`,
      confirmLabel: 'Remove and save',
      action: storePermissions,
    });
  };
  const saveDescription = async (event: Event) => {
    event.preventDefault();
    if (await about.run(() => api('PATCH', `/api/v1/roles/${role.id}`, { description: description || null }), 'Description saved.'))
      await props.onSaved();
  };
  const remove = async () => {
    if (await removal.run(() => api('DELETE', `/api/v1/roles/${role.id}`))) {
      await props.onSaved();
      props.ctx.navigate(BASE);
    }
  };
  const builtIn = BUILT_IN_ROLES.includes(role.name);
  return html`<div class="stack">
    <form class="stack panel" onSubmit=${saveDescription} aria-labelledby="about-heading">
      <h2 id="about-heading">Description</h2>
      <${ErrorBanner} error=${about.error} />
      <${Notice} text=${about.notice} />
      <${Field} label="Description" name="description" value=${description} onInput=${setDescription} />
      <div><button type="submit" class="primary" disabled=${about.busy}>Save description</button></div>
    </form>
    <form class="stack panel" onSubmit=${savePermissions} aria-labelledby="perms-heading">
      <h2 id="perms-heading">Permissions</h2>
      <${ErrorBanner} error=${perms.error} />
      <${Notice} text=${perms.notice} />
      ${role.name === 'ADMIN' ? html`<p class="hint">ADMIN keeps every built-in permission whatever is chosen here.</p>` : null}
      <${CheckboxGroup}
        legend=${`Permissions ${role.name} grants`}
        name="permissions"
        idPrefix="perm"
        options=${options}
        chosen=${chosen}
        onChange=${setChosen}
      />
      <div class="row">
        <${Field}
          label="Another permission"
          name="newPermission"
          value=${added}
          onInput=${setAdded}
          hint="e.g. patients:read — lower-case letters, digits, _ . : -"
        />
        <div class="actions"><button type="button" onClick=${add}>Add permission</button></div>
      </div>
      <div><button type="submit" class="primary" disabled=${perms.busy}>Save permissions</button></div>
    </form>
    ${
      builtIn
        ? null
        : html`<div class="stack panel" role="group" aria-labelledby="delete-role-heading">
            <h2 id="delete-role-heading">Delete</h2>
            <${ErrorBanner} error=${removal.error} />
            <div>
              <${ConfirmButton}
                ask=${ask}
                label="Delete role"
                confirmation=${{
                  title: `Delete the role ${role.name}?`,
                  message: 'Every user holding it loses it, and the permissions it granted, at once.',
                  confirmLabel: 'Delete role',
                  action: remove,
                }}
              />
            </div>
          </div>`
    }
    ${dialog}
  </div>`;
}
