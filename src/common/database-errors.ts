/** Driver error codes, read however TypeORM wrapped the error. */
const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const FOREIGN_KEY_VIOLATION = new Set(['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY']);

/** The driver's error code (PostgreSQL SQLSTATE, SQLite's extended code), or ''. */
export function databaseErrorCode(error: unknown): string {
  const { code, driverError } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown } };
  return String(driverError?.code ?? code ?? '');
}

/** A unique index refused the write: the row exists (a concurrent insert won). */
export function isUniqueViolation(error: unknown): boolean {
  return UNIQUE_VIOLATION.has(databaseErrorCode(error));
}

/** A foreign key refused the write: what it points at was deleted meanwhile (a concurrent delete won). */
export function isForeignKeyViolation(error: unknown): boolean {
  return FOREIGN_KEY_VIOLATION.has(databaseErrorCode(error));
}
