import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appConfig } from '../config/app.config';
import { usePasswordPolicy } from './dto/password-policy.validator';
import { PASSWORD_MAX_LENGTH, isBasicSafe } from '../common/credentials';
import { normalizeUsername } from '../common/credentials';
import { ValidationFailedException } from '../common/validation';

/** Loaded once at start-up: ~18,000 common passwords shipped with the project. */
function loadCommonPasswords(): Set<string> {
  const text = readFileSync(join(__dirname, 'common-passwords.txt'), 'utf8');
  return new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
}

/**
 * OWASP ASVS 6.2 / NIST SP 800-63B §3.1.1.2: a minimum length (PASSWORD_MIN_LENGTH, 12 by default),
 * at most 128 characters, not a commonly used password, not the username. No composition rules.
 */
@Injectable()
export class PasswordPolicyService {
  private readonly common = loadCommonPasswords();

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {
    usePasswordPolicy(this);
  }

  /** The problems with a password, each naming `field`; empty when it is acceptable. */
  problems(password: string, username: string, field = 'password'): string[] {
    const problems: string[] = [];
    const length = [...password].length;
    if (length < this.config.passwordMinLength) problems.push(`${field} must be at least ${this.config.passwordMinLength} characters`);
    if (length > PASSWORD_MAX_LENGTH) problems.push(`${field} must be at most ${PASSWORD_MAX_LENGTH} characters`);
    if (!isBasicSafe(password))
      problems.push(`${field} must not contain control characters (or invalid Unicode): Basic login could not carry it`);
    const lowered = password.toLowerCase();
    if (this.common.has(lowered)) problems.push(`${field} is too common; choose another`);
    if (normalizeUsername(password) === normalizeUsername(username)) problems.push(`${field} must not be the username`);
    return problems;
  }

  /** Throws a 400 naming the field when the password breaks the policy. */
  assertAcceptable(password: string, username: string, field = 'password'): void {
    const problems = this.problems(password, username, field);
    if (problems.length > 0) throw new ValidationFailedException(problems.join('; '));
  }
}
