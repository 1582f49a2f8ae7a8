/**
 * What the roles module announces: a role's permissions changed, or the role is gone. Sessions
 * drop their cached checks (on every instance), so live tokens lose a permission within
 * REVOCATION_MAX_LAG as they do a role.
 */
export const RoleEvents = {
  PermissionsChanged: 'role.permissions_changed',
  Deleted: 'role.deleted',
} as const;

export interface RoleEvent {
  roleId: string;
}
