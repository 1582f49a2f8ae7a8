#!/usr/bin/env node
import { Logger } from '@nestjs/common';
import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { existsSync } from 'node:fs';
import 'reflect-metadata';
import { CliModule, CliProgram, Program } from './cli/cli.module';
import { ExitCode } from './cli/cli-errors';
import { StderrLogger } from './cli/gatehouse-app';

const ABOUT =
  "Gatehouse's command line, for operators on a host with the server's configuration (environment variables, .env): " +
  'the same modules, rules and audit log as the server, which may keep running.';

const EPILOGUE = `
Output: JSON on stdout, messages on stderr. Exit codes: 0 done, 1 refused or failed, 2 bad usage.
From the sources: npm run gatehouse -- <command>; built: node dist/src/cli.js <command> (npx gatehouse).
See docs/cli.md.`;

/** The commands of the hand-written CLI before nest-commander (`keys list`, `keys rotate`), still accepted. */
function withAliases(args: string[]): string[] {
  if (args[0] === 'keys' && (args[1] === 'list' || args[1] === 'rotate')) return [`keys:${args[1]}`, ...args.slice(2)];
  return args;
}

/**
 * Runs one command and resolves with its exit code: 0 done, 1 refused or failed, 2 bad usage (an
 * unknown command or option, a missing argument: the usage on stderr).
 */
export async function runCli(args: string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  Logger.overrideLogger(new StderrLogger());
  const app = await CommandFactory.createWithoutRunning(CliModule, { logger: new StderrLogger() });
  try {
    configure(app.get(CliProgram).program);
    await app.get(CommandRunnerService).run(['node', 'gatehouse', ...withAliases(args)]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } finally {
    await app.close();
  }
}

function configure(program: Program): void {
  program.name('gatehouse').description(ABOUT).addHelpText('after', EPILOGUE);
  for (const command of [program, ...program.commands]) {
    command.showHelpAfterError().exitOverride((error) => {
      // --help and `help`: exit code 0 (the text went to stdout); anything else commander refused is bad usage.
      process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage);
    });
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(ExitCode.Refused);
    },
  );
}
