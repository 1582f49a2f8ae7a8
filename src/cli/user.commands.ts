import { Command, Option } from 'nest-commander';
import { CreateUserDto } from '../users/dto/create-user.dto';
import { UpdateUserDto } from '../users/dto/update-user.dto';
import { UserView } from '../users/dto/user.view';
import type { User } from '../users/entities/user.entity';
import { OPERATOR, UsersService } from '../users/users.service';
import { collect, generatePassword, readPasswordFromStdin, userNamed, validated } from './cli-input';
import { GatehouseCommand } from './gatehouse-command';

// Every change goes through UsersService, as the HTTP API's does, with the command line as an
// administrator holding every built-in permission (OPERATOR): the password policy, the last enabled
// ADMIN, the events that end or re-read sessions (carried to a running server by the revocation
// bus) and the audit log (actor: cli) all apply.

const PASSWORD_STDIN = { flags: '--password-stdin', description: 'read the password from standard input instead of generating one' };

@Command({
  name: 'user:create',
  arguments: '<username>',
  description: 'create a user (role USER unless --role is given); prints a generated password once unless --password-stdin',
})
export class UserCreateCommand extends GatehouseCommand {
  @Option({ flags: '--email <address>', description: 'e-mail address (unverified)' })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--role <ROLE>', description: 'a role to give (repeat for several)' })
  parseRole(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option(PASSWORD_STDIN)
  parsePasswordStdin(): boolean {
    return true;
  }

  protected async execute([username]: string[], options: { email?: string; role?: string[]; passwordStdin?: boolean }): Promise<void> {
    const users = await this.gatehouse.get(UsersService);
    const generated = options.passwordStdin ? undefined : generatePassword();
    const password = generated ?? (await readPasswordFromStdin());
    const dto = await validated(CreateUserDto, { username, password, email: options.email, roles: options.role });
    const user = await users.create(dto, OPERATOR);
    this.print(generated ? { user: UserView.of(user), password: generated } : { user: UserView.of(user) });
    this.say(`Created ${user.username}${generated ? '; the generated password above is shown only this once' : ''}`);
  }
}

@Command({
  name: 'user:reset-password',
  arguments: '<username>',
  description: "set a new password (generated and printed once, or --password-stdin) and end the user's sessions",
})
export class UserResetPasswordCommand extends GatehouseCommand {
  @Option(PASSWORD_STDIN)
  parsePasswordStdin(): boolean {
    return true;
  }

  protected async execute([username]: string[], options: { passwordStdin?: boolean }): Promise<void> {
    const users = await this.gatehouse.get(UsersService);
    const user = await userNamed(users, username);
    const generated = options.passwordStdin ? undefined : generatePassword();
    const password = generated ?? (await readPasswordFromStdin());
    const updated = await users.update(user.id, await validated(UpdateUserDto, { password }), OPERATOR);
    this.print(generated ? { user: UserView.of(updated), password: generated } : { user: UserView.of(updated) });
    this.say(`New password set for ${updated.username}; their sessions have ended${generated ? '. It is shown only this once' : ''}`);
  }
}

@Command({ name: 'user:unlock', arguments: '<username>', description: "clear the user's failed-login lock (on every instance)" })
export class UserUnlockCommand extends GatehouseCommand {
  protected async execute([username]: string[]): Promise<void> {
    const users = await this.gatehouse.get(UsersService);
    const user = await users.unlock((await userNamed(users, username)).username);
    this.print({ user: UserView.of(user), unlocked: true });
    this.say(`Unlocked ${user.username}`);
  }
}

/** Disable / enable: one change of `enabled`, the rest as the API's PATCH. */
abstract class UserEnabledCommand extends GatehouseCommand {
  protected abstract readonly enabled: boolean;

  protected async execute([username]: string[]): Promise<void> {
    const users = await this.gatehouse.get(UsersService);
    const user = await userNamed(users, username);
    const updated = user.enabled === this.enabled ? user : await users.update(user.id, { enabled: this.enabled }, OPERATOR);
    this.print({ user: UserView.of(updated) });
    const state = this.enabled ? 'enabled' : 'disabled; their sessions have ended';
    this.say(
      user.enabled === this.enabled ? `${user.username} was already ${this.enabled ? 'enabled' : 'disabled'}` : `${user.username} ${state}`,
    );
  }
}

@Command({ name: 'user:disable', arguments: '<username>', description: 'disable a user: they cannot log in and their sessions end' })
export class UserDisableCommand extends UserEnabledCommand {
  protected readonly enabled = false;
}

@Command({ name: 'user:enable', arguments: '<username>', description: 'enable a disabled user again' })
export class UserEnableCommand extends UserEnabledCommand {
  protected readonly enabled = true;
}

/** Add / remove one role: the user's roles with or without it, the rest as the API's PATCH. */
abstract class UserRoleCommand extends GatehouseCommand {
  protected abstract readonly adding: boolean;

  protected async execute([username, role]: string[]): Promise<void> {
    const users = await this.gatehouse.get(UsersService);
    const user = await userNamed(users, username);
    const current = (user.roles ?? []).map((held) => held.name);
    const roles = this.adding ? [...current, role] : current.filter((held) => held !== role);
    const unchanged = this.adding ? current.includes(role) : !current.includes(role);
    const updated = unchanged ? user : await users.update(user.id, await validated(UpdateUserDto, { roles }), OPERATOR);
    this.print({ user: UserView.of(updated) });
    this.say(unchanged ? `${user.username} ${this.adding ? 'already holds' : 'does not hold'} ${role}` : describeRoles(updated));
  }
}

@Command({
  name: 'user:add-role',
  arguments: '<username> <ROLE>',
  description: 'give a user a role (their sessions end, as for any role change)',
})
export class UserAddRoleCommand extends UserRoleCommand {
  protected readonly adding = true;
}

@Command({ name: 'user:remove-role', arguments: '<username> <ROLE>', description: 'take a role from a user (their sessions end)' })
export class UserRemoveRoleCommand extends UserRoleCommand {
  protected readonly adding = false;
}

function describeRoles(user: User): string {
  return `${user.username} now holds: ${(user.roles ?? []).map((role) => role.name).join(', ') || 'no role'}`;
}
