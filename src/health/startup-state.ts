import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/**
 * Whether start-up has finished. Nest runs every module's start-up work before it opens the HTTP
 * listener: the migrations (TypeORM runs them while connecting), the key store's loading or generating
 * keys (`onModuleInit`) and the first administrator's creation (`onApplicationBootstrap`). So start-up
 * is over when the listener is open — marked on its `listening` event, registered here in the last
 * phase, which no module's hook can outlast.
 */
@Injectable()
export class StartupState implements OnApplicationBootstrap {
  private startedAt?: Date;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  onApplicationBootstrap(): void {
    // An application context without HTTP (a CLI command) never serves /health/started.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    if (server.listening) this.startedAt = new Date();
    else server.once('listening', () => (this.startedAt = new Date()));
  }
}
