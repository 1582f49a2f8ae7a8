import { Injectable, Module } from '@nestjs/common';
import { CommandRunner, InjectCommander } from 'nest-commander';
import { GatehouseApp } from './gatehouse-app';
import {
  AuditTailCommand,
  DbBackupCommand,
  KeysListCommand,
  KeysRotateCommand,
  MigrationStatusCommand,
  SessionsRevokeCommand,
} from './operations.commands';
import {
  UserAddRoleCommand,
  UserCreateCommand,
  UserDisableCommand,
  UserEnableCommand,
  UserRemoveRoleCommand,
  UserResetPasswordCommand,
  UserUnlockCommand,
} from './user.commands';

/** commander's program (nest-commander's own copy of commander, hence the type taken from it). */
export type Program = Parameters<CommandRunner['setCommand']>[0];

/** The program the commands are registered on, for its name, help text and exit handling (cli.ts). */
@Injectable()
export class CliProgram {
  constructor(@InjectCommander() readonly program: Program) {}
}

/**
 * The commands of `gatehouse` (nest-commander). Light on purpose: `--help` and bad usage start
 * nothing; a command that needs the server's modules opens them through GatehouseApp.
 */
@Module({
  providers: [
    CliProgram,
    GatehouseApp,
    UserCreateCommand,
    UserResetPasswordCommand,
    UserUnlockCommand,
    UserDisableCommand,
    UserEnableCommand,
    UserAddRoleCommand,
    UserRemoveRoleCommand,
    SessionsRevokeCommand,
    KeysListCommand,
    KeysRotateCommand,
    AuditTailCommand,
    MigrationStatusCommand,
    DbBackupCommand,
  ],
})
export class CliModule {}
