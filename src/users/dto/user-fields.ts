/**
 * Usernames are ASCII letters, digits and `. _ @ -` so that look-alike Unicode names cannot be
 * registered next to real ones; uniqueness ignores case.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const USERNAME_MESSAGE =
  'username must be 1 to 64 characters: letters, digits, ".", "_", "@" or "-", starting with a letter or digit';

/** OWASP ASVS 6.2: at least 12 characters, and at most 128 so hashing cost stays bounded. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
