import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import { Transactions } from '../database/transaction';
import { MfaChallenge } from './entities/mfa-challenge.entity';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity';
import { MfaTotp } from './entities/mfa-totp.entity';
import { WebAuthnCredential } from './entities/webauthn-credential.entity';

/** What a user has set up, for the login gate and the status route. */
export interface FactorSummary {
  totp: { confirmedAt: Date } | null;
  recoveryCodesLeft: number;
  passkeys: number;
}

export type NewPasskey = Pick<
  WebAuthnCredential,
  'userId' | 'credentialId' | 'publicKey' | 'transports' | 'deviceType' | 'backedUp' | 'name'
> & {
  counter: number;
};

/**
 * The mfa module's tables: TOTP secrets, recovery codes, passkeys and challenges. Every "use once"
 * is a conditional UPDATE (the row changes only if it was still unused), so of two concurrent uses —
 * on one instance or several — exactly one succeeds.
 */
@Injectable()
export class MfaRepository {
  constructor(
    @InjectRepository(MfaTotp) private readonly totp: Repository<MfaTotp>,
    @InjectRepository(MfaRecoveryCode) private readonly codes: Repository<MfaRecoveryCode>,
    @InjectRepository(MfaChallenge) private readonly challenges: Repository<MfaChallenge>,
    @InjectRepository(WebAuthnCredential) private readonly passkeys: Repository<WebAuthnCredential>,
    private readonly transactions: Transactions,
  ) {}

  async summary(userId: string): Promise<FactorSummary> {
    const [totp, recoveryCodesLeft, passkeys] = await Promise.all([
      this.totp.findOne({ where: { userId, confirmedAt: Not(IsNull()) }, select: { userId: true, confirmedAt: true } }),
      this.codes.countBy({ userId, usedAt: IsNull() }),
      this.passkeys.countBy({ userId }),
    ]);
    return { totp: totp?.confirmedAt ? { confirmedAt: totp.confirmedAt } : null, recoveryCodesLeft, passkeys };
  }

  // --- TOTP ------------------------------------------------------------------------------------

  findTotp(userId: string): Promise<MfaTotp | null> {
    return this.totp.findOneBy({ userId });
  }

  /** A new, unconfirmed secret (replacing an earlier unconfirmed one); false when a confirmed one exists. */
  async savePendingTotp(userId: string, encryptedSecret: string): Promise<boolean> {
    return this.transactions.run(async (tx) => {
      const totp = tx.manager.getRepository(MfaTotp);
      await totp.delete({ userId, confirmedAt: IsNull() });
      if (await totp.existsBy({ userId })) return false;
      await totp.insert({ userId, secret: encryptedSecret, confirmedAt: null, lastStep: 0 });
      return true;
    });
  }

  /** Confirms the pending secret with the step of the code that proved it; false when there was none to confirm. */
  async confirmTotp(userId: string, step: number): Promise<boolean> {
    const result = await this.totp.update({ userId, confirmedAt: IsNull() }, { confirmedAt: new Date(), lastStep: step });
    return result.affected === 1;
  }

  /** Spends a time step: true only if no code of this step or a later one was accepted before. */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.totp.update({ userId, confirmedAt: Not(IsNull()), lastStep: LessThan(step) }, { lastStep: step });
    return result.affected === 1;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    const result = await this.totp.delete({ userId });
    return (result.affected ?? 0) > 0;
  }

  // --- recovery codes --------------------------------------------------------------------------

  /** Replaces the user's recovery codes: the old set stops working in the same transaction. */
  async replaceRecoveryCodes(userId: string, hashes: string[]): Promise<void> {
    await this.transactions.run(async (tx) => {
      const codes = tx.manager.getRepository(MfaRecoveryCode);
      await codes.delete({ userId });
      await codes.save(hashes.map((codeHash) => codes.create({ userId, codeHash, usedAt: null })));
    });
  }

  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const result = await this.codes.update({ userId, codeHash, usedAt: IsNull() }, { usedAt: new Date() });
    return result.affected === 1;
  }

  async deleteRecoveryCodes(userId: string): Promise<void> {
    await this.codes.delete({ userId });
  }

  // --- challenges ------------------------------------------------------------------------------

  async createChallenge(challenge: { idHash: string; kind: string; userId: string | null; data: unknown; expiresAt: Date }): Promise<void> {
    await this.challenges.insert({ ...challenge, data: JSON.stringify(challenge.data ?? null), usedAt: null });
    // Housekeeping: expired challenges go now and then (they are refused by their expiry anyway).
    if (Math.random() < 0.05) await this.challenges.delete({ expiresAt: LessThan(new Date(Date.now() - 60_000)) });
  }

  /** An unused, unexpired challenge of this kind, without spending it. */
  async findLiveChallenge<T>(idHash: string, kind: string): Promise<{ userId: string | null; data: T } | undefined> {
    const row = await this.challenges.findOneBy({ idHash, kind, usedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    return row ? { userId: row.userId, data: JSON.parse(row.data ?? 'null') as T } : undefined;
  }

  /** Spends a challenge: true for exactly one caller, and only while it is unused and unexpired. */
  async spendChallenge(idHash: string, kind: string): Promise<boolean> {
    const now = new Date();
    const result = await this.challenges.update({ idHash, kind, usedAt: IsNull(), expiresAt: MoreThan(now) }, { usedAt: now });
    return result.affected === 1;
  }

  /** Gives a spent challenge back (a login step that claimed it and then failed), if it has not expired. */
  async releaseChallenge(idHash: string, kind: string): Promise<void> {
    await this.challenges.update({ idHash, kind, usedAt: Not(IsNull()), expiresAt: MoreThan(new Date()) }, { usedAt: null });
  }

  // --- passkeys --------------------------------------------------------------------------------

  listPasskeys(userId: string): Promise<WebAuthnCredential[]> {
    return this.passkeys.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findPasskeyByCredentialId(credentialId: string): Promise<WebAuthnCredential | null> {
    return this.passkeys.findOneBy({ credentialId });
  }

  findPasskey(userId: string, id: string): Promise<WebAuthnCredential | null> {
    return this.passkeys.findOneBy({ userId, id });
  }

  addPasskey(passkey: NewPasskey): Promise<WebAuthnCredential> {
    return this.passkeys.save(this.passkeys.create({ ...passkey, lastUsedAt: null }));
  }

  async renamePasskey(userId: string, id: string, name: string): Promise<boolean> {
    const result = await this.passkeys.update({ userId, id }, { name });
    return result.affected === 1;
  }

  /**
   * Records a use: the new signature counter (WebAuthn §6.1.1; 0 for authenticators without one).
   * Conditional on the counter read, so two concurrent uses of one assertion cannot both pass.
   */
  async recordPasskeyUse(id: string, previousCounter: number, newCounter: number): Promise<boolean> {
    const result = await this.passkeys.update({ id, counter: previousCounter }, { counter: newCounter, lastUsedAt: new Date() });
    return result.affected === 1;
  }

  async deletePasskey(userId: string, id: string): Promise<boolean> {
    const result = await this.passkeys.delete({ userId, id });
    return (result.affected ?? 0) > 0;
  }

  /** Every factor of a user goes (an administrator's reset). */
  async deleteAll(userId: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      await tx.manager.getRepository(MfaTotp).delete({ userId });
      await tx.manager.getRepository(MfaRecoveryCode).delete({ userId });
      await tx.manager.getRepository(WebAuthnCredential).delete({ userId });
    });
  }
}
