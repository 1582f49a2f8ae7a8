/** Every event the audit log records. */
export const AUDIT_EVENT_TYPES = [
  'login.success',
  'login.failure',
  'login.locked',
  'login.ip_blocked',
  'token.refresh',
  'token.reuse_detected',
  'session.logout',
  'session.revoked',
  'password.changed',
  'password.change_failed',
  'password.reset',
  'user.created',
  'user.deleted',
  'user.disabled',
  'user.enabled',
  'user.roles_changed',
  'federation.user_created',
  'federation.user_updated',
  'federation.login_failed',
  'federation.roles_skipped',
  'key.rotated',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
