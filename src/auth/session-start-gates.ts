import { Injectable } from '@nestjs/common';
import type { SessionStart } from '../sessions/sessions.service';
import type { User } from '../users/entities/user.entity';

/**
 * A check every login passes through before its session starts (AuthService.startSession), whatever
 * the method: password, passkey, provider. It refuses by throwing (e.g. MfaRequiredException), or
 * returns the restriction the session gets (null: none).
 */
export interface SessionStartGate {
  check(user: User, start: SessionStart): Promise<string | null>;
  /** Whether a password alone may stand for this user where no session starts (Basic callers of introspection). */
  allowsPasswordOnly(user: User): Promise<boolean>;
}

/**
 * The gates, registered by the modules that own them (the mfa module registers the second-factor
 * gate): auth imports none of them, and no login method grows a check of its own.
 */
@Injectable()
export class SessionStartGates {
  private readonly gates: SessionStartGate[] = [];

  register(gate: SessionStartGate): void {
    this.gates.push(gate);
  }

  /** Every gate in turn; the session gets the first restriction any of them asks for. */
  async check(user: User, start: SessionStart): Promise<string | null> {
    let restriction: string | null = null;
    for (const gate of this.gates) restriction ??= await gate.check(user, start);
    return restriction;
  }

  async allowsPasswordOnly(user: User): Promise<boolean> {
    for (const gate of this.gates) if (!(await gate.allowsPasswordOnly(user))) return false;
    return true;
  }
}
