import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UserEvent, UserEvents } from '../users/user-events';
import { UsersService } from '../users/users.service';
import { RevocationBus } from './revocation-bus';

/**
 * An operator's unlock reaches every process: without Redis each instance counts failed logins in
 * its own memory, and `gatehouse user:unlock` runs in yet another process. The unlock travels on the
 * revocation bus (NOTIFY and Redis on PostgreSQL, the polled log on both databases), so it arrives
 * within REVOCATION_MAX_LAG, as a revocation does.
 */
@Injectable()
export class LoginUnlocks implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(LoginUnlocks.name);
  private readonly applying = new Set<Promise<void>>();

  constructor(
    private readonly bus: RevocationBus,
    private readonly users: UsersService,
  ) {}

  onModuleInit(): void {
    this.bus.onEvent((event) => {
      if (event.kind !== 'unlock') return;
      const applying = this.users
        .forgetLoginFailures(event.id)
        .catch((error: Error) => this.logger.warn(`Could not apply an unlock: ${error.message}`))
        .finally(() => this.applying.delete(applying));
      this.applying.add(applying);
    });
  }

  /** Before the database closes (a command line run ends right after its change). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.applying);
  }

  @OnEvent(UserEvents.Unlocked, { suppressErrors: false })
  async onUnlocked(event: UserEvent): Promise<void> {
    await this.bus.publish({ kind: 'unlock', id: event.userId });
  }
}
