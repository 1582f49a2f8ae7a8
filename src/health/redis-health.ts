import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { appConfig } from '../config/app.config';

const CONNECT_WAIT_MS = 2000;

/**
 * Whether Redis answers a PING, on a connection of its own (the revocation bus and the login throttle
 * keep theirs). Without REDIS_URL there is nothing to check. The connection reconnects by itself; while
 * it is down a PING fails at once (no offline queue) instead of waiting.
 */
@Injectable()
export class RedisHealth implements OnModuleInit, OnApplicationShutdown {
  private readonly client?: Redis;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    if (!config.redisUrl) return;
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    // The revocation bus and the throttle already log Redis errors; readiness reports them as "down".
    this.client.on('error', () => undefined);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Waits for the connection at most CONNECT_WAIT_MS: Redis down or hung does not hold start-up (readiness says so). */
  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    let timer: NodeJS.Timeout | undefined;
    const connected = this.client.connect().catch(() => undefined);
    await Promise.race([connected, new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_WAIT_MS)))]);
    clearTimeout(timer);
  }

  onApplicationShutdown(): void {
    this.client?.disconnect();
  }

  /** Resolves when Redis answered PONG; rejects otherwise (or without REDIS_URL). */
  async ping(): Promise<void> {
    if (!this.client) throw new Error('REDIS_URL is not set');
    if ((await this.client.ping()) !== 'PONG') throw new Error('Redis did not answer PONG');
  }
}
