import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { appConfig } from '../config/app.config';

/** "A session ended" or "something about a user changed": other instances drop what they cached. */
export type RevocationEvent = { kind: 'session'; id: string } | { kind: 'user'; id: string };

const CHANNEL = 'gatehouse:revocations';

/**
 * Carries revocations to the other instances. Without REDIS_URL it is local only, and other
 * instances notice within REVOCATION_MAX_LAG (their cache lifetime). With REDIS_URL, revocations are
 * published and every instance drops the entry at once. Redis being down never blocks a request:
 * the cache lifetime still bounds the lag.
 */
@Injectable()
export class RevocationBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationBus.name);
  private readonly handlers: ((event: RevocationEvent) => void)[] = [];
  private publisher?: Redis;
  private subscriber?: Redis;

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    this.publisher = new Redis(this.config.redisUrl, options);
    this.subscriber = new Redis(this.config.redisUrl, { ...options, enableOfflineQueue: true });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    this.subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    try {
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
      await this.subscriber.subscribe(CHANNEL);
    } catch (error) {
      this.logger.warn(`Redis unavailable (${(error as Error).message}); revocations reach other instances within REVOCATION_MAX_LAG`);
    }
  }

  /** After the HTTP server has drained (Nest closes it before shutdown hooks): in-flight requests keep Redis. */
  async onApplicationShutdown(): Promise<void> {
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  onEvent(handler: (event: RevocationEvent) => void): void {
    this.handlers.push(handler);
  }

  /** Applies the event here at once, and tells the other instances when Redis is configured. */
  async publish(event: RevocationEvent): Promise<void> {
    for (const handler of this.handlers) handler(event);
    if (this.publisher?.status !== 'ready') return;
    try {
      await this.publisher.publish(CHANNEL, JSON.stringify(event));
    } catch (error) {
      this.logger.warn(`Could not publish a revocation: ${(error as Error).message}`);
    }
  }

  private deliver(message: string): void {
    let event: RevocationEvent;
    try {
      event = JSON.parse(message) as RevocationEvent;
    } catch {
      return;
    }
    if ((event.kind === 'session' || event.kind === 'user') && typeof event.id === 'string') {
      for (const handler of this.handlers) handler(event);
    }
  }
}
