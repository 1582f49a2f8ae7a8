import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

/*
 * What a username and a password may be. Shared by users (creation, policy), auth (login bodies),
 * federation (provider usernames), the throttle (counter keys) and config (ADMIN_USERNAME).
 */

/**
 * Usernames are ASCII letters, digits and `. _ @ -` so that look-alike Unicode names cannot be
 * registered next to real ones; uniqueness ignores case.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const USERNAME_MESSAGE =
  'username must be 1 to 64 characters: letters, digits, ".", "_", "@" or "-", starting with a letter or digit';

/** Usernames are unique regardless of case: this is the form they are compared in. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

/** OWASP ASVS 6.2: at least 12 characters, and at most 128 so hashing cost stays bounded. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * RFC 7617 §2: Basic credentials carry no control characters (CTL, RFC 5234 B.1), and they travel as
 * UTF-8, which cannot encode a lone surrogate. Such a password could never be used to log in, and a
 * NUL reaches the databases differently (PostgreSQL refuses it, SQLite stores it), so it is refused
 * wherever a username or password enters: login bodies and every password that is set.
 */
const NOT_BASIC_SAFE = /[\x00-\x1f\x7f]|\p{Cs}/u;

export function isBasicSafe(text: string): boolean {
  return !NOT_BASIC_SAFE.test(text);
}

/** `isBasicSafe` as a field validator (the same 400 on SQLite and PostgreSQL). */
@ValidatorConstraint({ name: 'basicSafe' })
export class BasicSafe implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value !== 'string' || isBasicSafe(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must not contain control characters or invalid Unicode`;
  }
}
