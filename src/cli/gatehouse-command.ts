import { HttpException, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CommandRunner } from 'nest-commander';
import { runWithRequestContext } from '../common/request-context';
import { KeyRotationRefused } from '../keys/key-store';
import { MaintenanceRefused } from '../database/database-maintenance';
import { ExitCode, Refused, UsageError } from './cli-errors';
import { GatehouseApp } from './gatehouse-app';

/**
 * What every command shares: it runs as the actor `cli` (each audit event it causes says so), its
 * result goes to stdout as JSON and its messages to stderr, and its errors become exit codes —
 * 1 for a refusal (an unknown user, the password policy, the last ADMIN…), 2 for bad usage — with
 * a message and never a stack trace. (Injectable: the commands inherit its constructor's parameters.)
 */
@Injectable()
export abstract class GatehouseCommand extends CommandRunner {
  constructor(protected readonly gatehouse: GatehouseApp) {
    super();
  }

  protected abstract execute(params: string[], options: Record<string, unknown>): Promise<void>;

  async run(params: string[], options: Record<string, unknown> = {}): Promise<void> {
    try {
      await asCommandLine(() => this.execute(params, options));
    } catch (error) {
      process.exitCode = this.report(error);
    } finally {
      await this.gatehouse.close();
    }
  }

  protected print(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected say(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  private report(error: unknown): number {
    if (error instanceof UsageError) {
      this.say(`error: ${error.message}\n`);
      this.say(this.command.helpInformation().trimEnd());
      return ExitCode.Usage;
    }
    if (error instanceof Refused || error instanceof MaintenanceRefused) {
      this.say(error.message);
      return ExitCode.Refused;
    }
    if (error instanceof KeyRotationRefused) {
      this.say(`Refused: ${error.message}`);
      return ExitCode.Refused;
    }
    if (error instanceof HttpException) {
      // What the services refuse with (404 unknown role, 400 password policy, 409 last ADMIN…): its message.
      this.say(httpMessage(error));
      return ExitCode.Refused;
    }
    this.say(`error: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.Refused;
  }
}

/** Runs `work` with the command line as the caller: the audit log records `actor: cli` and one request id per run. */
function asCommandLine(work: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) =>
    runWithRequestContext({ requestId: `cli-${randomUUID()}`, actor: 'cli' }, () => void work().then(resolve, reject)),
  );
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}
