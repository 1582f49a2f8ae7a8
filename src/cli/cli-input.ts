import { ValidationPipe } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { validationPipeOptions } from '../common/validation';
import type { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { Refused, UsageError } from './cli-errors';

/** The user of that name, or a refusal naming it (exit 1). */
export async function userNamed(users: UsersService, username: string): Promise<User> {
  const user = await users.findByUsername(username);
  if (!user) throw new Refused(`Unknown user: ${username}`);
  return user;
}

/**
 * Input checked exactly as the HTTP API checks a request body (the same DTO and the global
 * ValidationPipe's settings: the username pattern, the e-mail format, the password policy…).
 */
export async function validated<T extends object>(dto: new () => T, value: Record<string, unknown>): Promise<T> {
  const defined = Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
  return (await new ValidationPipe(validationPipeOptions).transform(defined, { type: 'body', metatype: dto })) as T;
}

/**
 * A password for someone who will change it: 24 characters from 144 random bits (base64url), far
 * past the policy's minimum length and never a common password.
 */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** The whole of standard input, without its final line break: a password piped in, never shown. */
export async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('New password, then Enter and Ctrl-D: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length === 0) throw new UsageError('--password-stdin: standard input was empty');
  return password;
}

/** Repeatable options (`--role A --role B`): commander hands each value and the list so far. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
