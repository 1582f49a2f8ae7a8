import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { Command, Option } from 'nest-commander';
import { AuditService } from '../audit/audit.service';
import { AuditEventView } from '../audit/dto/audit-event.view';
import { DatabaseMaintenance } from '../database/database-maintenance';
import { KeyView } from '../keys/dto/key.view';
import { KeyRotation } from '../keys/key-rotation.service';
import { KeyStore } from '../keys/key-store';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { Refused, UsageError } from './cli-errors';
import { userNamed } from './cli-input';
import { GatehouseCommand } from './gatehouse-command';

@Command({
  name: 'sessions:revoke',
  description: 'end every session of a user (--user): refresh tokens stop working, access tokens are refused',
})
export class SessionsRevokeCommand extends GatehouseCommand {
  @Option({ flags: '--user <username>', description: 'whose sessions', required: true })
  parseUser(value: string): string {
    return value;
  }

  protected async execute(_params: string[], options: { user: string }): Promise<void> {
    const user = await userNamed(await this.gatehouse.get(UsersService), options.user);
    const sessions = await this.gatehouse.get(SessionsService);
    const ended = (await sessions.listActive(user.id)).length;
    await sessions.revokeAllForUser(user.id);
    await (
      await this.gatehouse.get(AuditService)
    ).record({
      type: 'session.revoked',
      userId: user.id,
      username: user.username,
      details: { sessions: 'all', ended },
    });
    this.print({ userId: user.id, username: user.username, sessionsEnded: ended });
    this.say(`Ended ${ended} session(s) of ${user.username}`);
  }
}

@Command({
  name: 'keys:list',
  description: 'the signing keys: kid, algorithm, state (next / current / retiring) and dates; never key material',
})
export class KeysListCommand extends GatehouseCommand {
  protected async execute(): Promise<void> {
    this.print((await this.gatehouse.get(KeyStore)).describe().map(KeyView.of));
  }
}

@Command({ name: 'keys:rotate', description: 'create the next signing key: published at once, signing after KEY_PUBLISH_DELAY' })
export class KeysRotateCommand extends GatehouseCommand {
  protected async execute(): Promise<void> {
    const key = await (await this.gatehouse.get(KeyRotation)).rotate({ via: 'cli' });
    this.print(KeyView.of(key));
    this.say(`New key ${key.kid} published; it signs from ${key.activatesAt?.toISOString()}`);
  }
}

/** How often `audit:tail --follow` looks for new events. */
const FOLLOW_EVERY_MS = 1000;
const MAX_TAIL = 1000;

@Command({ name: 'audit:tail', description: 'the newest audit events as JSON lines, oldest first; --follow prints new ones as they come' })
export class AuditTailCommand extends GatehouseCommand {
  @Option({ flags: '--limit <N>', description: `how many events (1-${MAX_TAIL}, default 20)` })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--follow', description: 'keep printing new events until interrupted (Ctrl-C)' })
  parseFollow(): boolean {
    return true;
  }

  protected async execute(_params: string[], options: { limit?: string; follow?: boolean }): Promise<void> {
    const limit = Number(options.limit ?? 20);
    if (!/^\d+$/.test(options.limit ?? '20') || limit < 1 || limit > MAX_TAIL) {
      throw new UsageError(`--limit must be a whole number from 1 to ${MAX_TAIL}`);
    }
    const audit = await this.gatehouse.get(AuditService);
    const { items } = await audit.find({ page: 1, limit });
    const seen = new Set<string>();
    let last = new Date(0);
    const show = (events: AuditEventView[]) => {
      for (const event of events) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        process.stdout.write(`${JSON.stringify(event)}\n`);
      }
    };
    const views = items.map(AuditEventView.of).reverse();
    show(views);
    if (views.length > 0) last = new Date(views[views.length - 1].timestamp);
    if (!options.follow) return;
    let stopped = false;
    const stop = () => (stopped = true);
    process.once('SIGINT', stop).once('SIGTERM', stop);
    while (!stopped) {
      await new Promise((done) => setTimeout(done, FOLLOW_EVERY_MS));
      // From the newest timestamp seen (inclusive: events of the same millisecond), skipping those already shown.
      const newer = (await audit.find({ from: last, page: 1, limit: MAX_TAIL })).items.map(AuditEventView.of).reverse();
      show(newer);
      if (newer.length > 0) last = new Date(newer[newer.length - 1].timestamp);
      if (seen.size > 10 * MAX_TAIL) for (const id of [...seen].slice(0, seen.size - MAX_TAIL)) seen.delete(id);
    }
  }
}

@Command({ name: 'migration:status', description: 'applied and pending database migrations (exit 1 when some are pending)' })
export class MigrationStatusCommand extends GatehouseCommand {
  protected async execute(): Promise<void> {
    // Its own connection, running no migration (the application context would apply them first).
    const database = await DatabaseMaintenance.open(this.gatehouse.config().database);
    try {
      const status = await database.migrationStatus();
      this.print(status);
      if (status.pending.length > 0) {
        throw new Refused(`${status.pending.length} pending migration(s): the server applies them at its next start`);
      }
      this.say(`${status.applied.length} migrations applied, none pending`);
    } finally {
      await database.close();
    }
  }
}

@Command({
  name: 'db:backup',
  arguments: '<file>',
  description: 'SQLite: an online, consistent copy of the database into a new file (VACUUM INTO) while the server runs',
})
export class DbBackupCommand extends GatehouseCommand {
  protected async execute([file]: string[]): Promise<void> {
    const target = resolve(file);
    await DatabaseMaintenance.backup(this.gatehouse.config().database, target);
    this.print({ file: target, bytes: statSync(target).size });
    this.say(`Backed up to ${target}`);
  }
}
