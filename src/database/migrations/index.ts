import { InitialSchema1732300000000 } from './1732300000000-initial-schema';
import { Sessions1732400000000 } from './1732400000000-sessions';
import { AuditEvents1732500000000 } from './1732500000000-audit-events';
import { Federation1732600000000 } from './1732600000000-federation';
import { SessionMethod1732700000000 } from './1732700000000-session-method';
import { Revocations1732800000000 } from './1732800000000-revocations';
import { SigningKeyPairs1732900000000 } from './1732900000000-signing-key-pairs';
import { IntrospectRole1733000000000 } from './1733000000000-introspect-role';
import { Mfa1733100000000 } from './1733100000000-mfa';
import { EmailAndRecovery1733200000000 } from './1733200000000-email-and-recovery';
import { PermissionsAndCredentials1733300000000 } from './1733300000000-permissions-and-credentials';

/** Listed explicitly (not globbed) so the same list works from TypeScript sources and the build. */
export const migrations = [
  InitialSchema1732300000000,
  Sessions1732400000000,
  AuditEvents1732500000000,
  Federation1732600000000,
  SessionMethod1732700000000,
  Revocations1732800000000,
  SigningKeyPairs1732900000000,
  IntrospectRole1733000000000,
  Mfa1733100000000,
  EmailAndRecovery1733200000000,
  PermissionsAndCredentials1733300000000,
];
