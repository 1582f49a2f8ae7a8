import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { OidcLoginCode } from './entities/oidc-login-code.entity';
import { OidcPendingLogin } from './entities/oidc-pending-login.entity';

/** The delegated login's short-lived rows: pending logins (by state) and one-time codes. */
@Injectable()
export class FederationRepository {
  constructor(
    @InjectRepository(OidcPendingLogin) private readonly pending: Repository<OidcPendingLogin>,
    @InjectRepository(OidcLoginCode) private readonly codes: Repository<OidcLoginCode>,
  ) {}

  /** Stores a pending login, dropping the expired ones on the way. */
  async insertPending(row: OidcPendingLogin): Promise<void> {
    await this.pending.delete({ expiresAt: LessThan(new Date()) });
    await this.pending.insert(row);
  }

  /**
   * Takes (reads and deletes) the pending login of a state hash. The DELETE decides: of two
   * concurrent callbacks with one state exactly one gets the row. Undefined when unknown or expired.
   */
  async takePending(stateHash: string): Promise<OidcPendingLogin | undefined> {
    const row = await this.pending.findOneBy({ stateHash });
    if (!row) return undefined;
    const deleted = await this.pending.delete({ stateHash });
    if (deleted.affected !== 1 || row.expiresAt.getTime() <= Date.now()) return undefined;
    return row;
  }

  /** Stores a one-time code, dropping the expired ones on the way. */
  async insertCode(row: OidcLoginCode): Promise<void> {
    await this.codes.delete({ expiresAt: LessThan(new Date()) });
    await this.codes.insert(row);
  }

  /** Takes a one-time code by its hash, as takePending does; undefined when unknown, used or expired. */
  async takeCode(codeHash: string): Promise<OidcLoginCode | undefined> {
    const row = await this.codes.findOneBy({ codeHash });
    const spent = row ? await this.codes.delete({ codeHash }) : undefined;
    if (!row || spent?.affected !== 1 || row.expiresAt.getTime() <= Date.now()) return undefined;
    return row;
  }
}
