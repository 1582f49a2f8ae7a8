import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { appConfig } from '../config/app.config';
import { readDate } from '../database/raw-sql';

/** SQLite's clock as UTC text with milliseconds, the format TypeORM stores dates in (see RawSql.date). */
const SQLITE_NOW = `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
const sqliteTime = (value: Date): string => value.toISOString().replace('T', ' ').slice(0, 23);

/**
 * "A session ended", "something about a user changed", "a role's permissions changed", "a personal
 * access token or a service client was revoked or changed" (`credential`, by its id): instances drop
 * what they cached. `unlock` (a user id): an operator cleared the user's failed-login lock, which
 * each instance without Redis keeps in memory. (`all`, never sent between instances: this instance
 * may have missed events, so it drops everything.)
 */
export interface RevocationEvent {
  kind: 'session' | 'user' | 'role' | 'credential' | 'unlock' | 'all';
  id: string;
}

/** The kinds instances send each other. */
export const SHARED_REVOCATION_KINDS: readonly string[] = ['session', 'user', 'role', 'credential', 'unlock'];

/** An event as the log holds it: its log id lets an instance apply each event once. */
export interface LoggedRevocation extends RevocationEvent {
  logId: string;
}

/** The PostgreSQL channel revocations are announced on. */
export const NOTIFY_CHANNEL = 'gatehouse_revocations';
/** How the LISTEN connection names itself in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'gatehouse-revocations';

/**
 * The revocation log (table `revocations`) and PostgreSQL's LISTEN/NOTIFY: how the processes that
 * share one database tell each other what was revoked. On PostgreSQL, the instances; on a SQLite
 * file, the server and the operators' command line (`npm run gatehouse -- user:disable …`), another
 * process writing the same file: there is no NOTIFY, so the server learns of it from the poll.
 * (An in-memory SQLite database belongs to one process: nothing to carry.)
 */
@Injectable()
export class RevocationsRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(RevocationsRepository.name);
  private listener?: Client;
  private closed = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>,
  ) {}

  /** Whether other processes may share the database (PostgreSQL, or a SQLite file). */
  get shared(): boolean {
    return this.config.database.type === 'postgres' || this.config.database.path !== ':memory:';
  }

  private get sqlite(): boolean {
    return this.config.database.type === 'sqlite';
  }

  /** Appends the event to the log and notifies every listening instance, in one statement; its log id. */
  async append(event: RevocationEvent): Promise<string> {
    if (this.sqlite) {
      // Milliseconds (the column's default, datetime('now'), has whole seconds): UTC text that sorts like time.
      const [row] = (await this.dataSource.query(
        `INSERT INTO revocations (kind, target, created_at) VALUES (?, ?, ${SQLITE_NOW}) RETURNING id`,
        [event.kind, event.id],
      )) as { id: number }[];
      return String(row.id);
    }
    const [row] = (await this.dataSource.query(
      `WITH logged AS (INSERT INTO revocations (kind, target) VALUES ($1, $2) RETURNING id)
       SELECT id, pg_notify('${NOTIFY_CHANNEL}', json_build_object('logId', id::text, 'kind', $1::text, 'id', $2::text)::text) FROM logged`,
      [event.kind, event.id],
    )) as { id: string }[];
    return String(row.id);
  }

  /**
   * Everything logged after `after` (the database's clock) and the database's time now, in one
   * query: the poll's "what was revoked since my last look", whatever the number of sessions.
   */
  async since(after: Date | null): Promise<{ now: Date; events: LoggedRevocation[] }> {
    if (this.sqlite) return this.sinceOnSqlite(after);
    const [row] = (await this.dataSource.query(
      `SELECT now() AS now, COALESCE((
         SELECT json_agg(json_build_object('logId', id::text, 'kind', kind, 'id', target) ORDER BY id)
         FROM revocations WHERE $1::timestamptz IS NULL OR created_at > $1::timestamptz
       ), '[]'::json) AS events`,
      [after],
    )) as { now: Date; events: LoggedRevocation[] | string }[];
    const events = typeof row.events === 'string' ? (JSON.parse(row.events) as LoggedRevocation[]) : row.events;
    return { now: new Date(row.now), events };
  }

  /**
   * SQLite: the same in one statement (one snapshot), a range search of the `created_at` index: at
   * least one row, carrying `now`, and one per event. Runs on the poll, never on a request.
   */
  private async sinceOnSqlite(after: Date | null): Promise<{ now: Date; events: LoggedRevocation[] }> {
    // A plain range on created_at (an `IS NULL OR` would scan the whole index); '0' sorts before any time.
    const rows = (await this.dataSource.query(
      `SELECT clock.now, r.id, r.kind, r.target FROM (SELECT ${SQLITE_NOW} AS now) clock
       LEFT JOIN revocations r ON r.created_at > ? ORDER BY r.id`,
      [after ? sqliteTime(after) : '0'],
    )) as { now: string; id: number | null; kind: RevocationEvent['kind']; target: string }[];
    const events = rows.filter((row) => row.id !== null).map((row) => ({ logId: String(row.id), kind: row.kind, id: row.target }));
    return { now: readDate(rows[0].now), events };
  }

  /** Forgets entries older than `seconds` (no instance needs them any more). */
  async prune(seconds: number): Promise<void> {
    if (this.sqlite) {
      await this.dataSource.query(`DELETE FROM revocations WHERE created_at < ?`, [sqliteTime(new Date(Date.now() - seconds * 1000))]);
      return;
    }
    await this.dataSource.query(`DELETE FROM revocations WHERE created_at < now() - make_interval(secs => $1)`, [seconds]);
  }

  /**
   * Keeps a dedicated connection LISTENing on the channel (not one of the pool's: a LISTEN belongs to
   * its connection). When it drops it reconnects, backing off up to 30 s, and calls `onReconnect` so
   * the caller can replay what it missed meanwhile.
   */
  listen(onEvent: (event: LoggedRevocation) => void, onReconnect: () => void): void {
    // SQLite has no notifications: the poll alone carries events (the first one now).
    if (this.sqlite) return onReconnect();
    let delay = 500;
    const connect = async (): Promise<void> => {
      if (this.closed) return;
      const client = new Client({
        connectionString: this.config.database.type === 'postgres' ? this.config.database.url : '',
        application_name: LISTENER_APPLICATION_NAME,
      });
      const retry = () => {
        if (this.listener === client) this.listener = undefined;
        client.removeAllListeners();
        void client.end().catch(() => undefined);
        if (this.closed) return;
        setTimeout(() => void connect(), delay).unref();
        delay = Math.min(delay * 2, 30_000);
      };
      client.on('error', (error: Error) => {
        this.logger.warn(`Revocation listener: ${error.message}; reconnecting`);
        retry();
      });
      client.on('end', () => {
        if (!this.closed && this.listener === client) retry();
      });
      client.on('notification', (message) => {
        if (message.channel !== NOTIFY_CHANNEL || !message.payload) return;
        try {
          onEvent(JSON.parse(message.payload) as LoggedRevocation);
        } catch {
          // not ours
        }
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
        this.listener = client;
        delay = 500;
        onReconnect();
      } catch (error) {
        this.logger.warn(`Revocation listener cannot connect (${(error as Error).message}); retrying`);
        retry();
      }
    };
    void connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }
}
