/**
 * What the users module announces (through @nestjs/event-emitter) instead of calling the modules
 * that care: sessions end theirs when a user is disabled or their credentials change, and drop
 * cached checks when roles change or a user is deleted. Emitted with `emitAsync` and awaited, so the
 * handlers have run before the request that made the change answers.
 */
export const UserEvents = {
  Disabled: 'user.disabled',
  /** Enabled again: what was refused while disabled (a personal access token) works again at once. */
  Enabled: 'user.enabled',
  CredentialsChanged: 'user.credentials_changed',
  RolesChanged: 'user.roles_changed',
  Deleted: 'user.deleted',
  /** An operator cleared the user's failed-login lock (`gatehouse user:unlock`): every instance forgets it. */
  Unlocked: 'user.unlocked',
  /** A user got a new, unverified e-mail address (created with one, or changed it): a verification link goes out. */
  EmailAdded: 'user.email_added',
} as const;

export interface UserEvent {
  userId: string;
  /** A session to keep: the actor's own, when someone changes their own account. */
  keepSessionId?: string;
  /** For roles_changed: end the user's sessions (an administrator's change) or only re-read them (a provider's). */
  endSessions?: boolean;
  /** For email_added: the verified address it replaced, which is told of the change. */
  previousEmail?: string;
  /** For credentials_changed: the new password's fingerprint, which the kept session is bound to. */
  credential?: string | null;
}
