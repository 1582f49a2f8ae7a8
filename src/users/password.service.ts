import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { appConfig } from '../config/app.config';
import { traced } from '../tracing/tracing';
import { MetricsService } from '../metrics/metrics.service';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet's first recommended setting (m=19 MiB, t=2,
 * p=1). The async API runs on libuv's thread pool, so hashing never blocks the event loop. With
 * tracing on, each computation is a span (`argon2.hash`, `argon2.verify`), started once it has its
 * slot: the time spent waiting for one is the gap before it.
 */
export const ARGON2_OPTIONS = {
  algorithm: 2, // Algorithm.Argon2id; the package exports it as a `const enum`, which isolated builds cannot inline
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * At most `limit` hashes run at once; the rest wait in the event loop (never blocking it). Each
 * argon2id run takes 19 MiB and a core, so the bound keeps memory flat and leaves CPU for the
 * requests that are not logins during a login storm.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `started` is told how many seconds each piece of work waited for its turn. */
  constructor(
    private readonly limit: number,
    private readonly started?: (waitedSeconds: number) => void,
  ) {}

  /** How many are waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const queuedAt = this.started && performance.now();
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (queuedAt !== undefined) this.started?.((performance.now() - queuedAt) / 1000);
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

@Injectable()
export class PasswordService implements OnModuleInit {
  /** Verified against for unknown users so a login costs the same whether or not the user exists. */
  private dummyHash: string;
  private readonly slots: Semaphore;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly metrics: MetricsService,
  ) {
    this.slots = new Semaphore(
      config.passwordHashConcurrency,
      metrics.enabled ? (seconds) => metrics.passwordHashWaited(seconds) : undefined,
    );
  }

  async onModuleInit(): Promise<void> {
    this.metrics.observe('passwordHashQueue', () => this.slots.queued);
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => traced('argon2.hash', () => hash(password, ARGON2_OPTIONS)));
  }

  /** True when a hash was made with other parameters than today's (then it is upgraded at the next login). */
  needsRehash(passwordHash: string): boolean {
    const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
    return !passwordHash.startsWith(`$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}$`);
  }

  /** False for a wrong password and for a missing or unreadable hash; never throws. */
  async verify(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    try {
      if (!passwordHash) {
        await this.slots.run(() => traced('argon2.verify', () => verify(this.dummyHash, password)));
        return false;
      }
      return await this.slots.run(() => traced('argon2.verify', () => verify(passwordHash, password)));
    } catch {
      return false;
    }
  }
}
