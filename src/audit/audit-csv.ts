import type { AuditEventView } from './dto/audit-event.view';

/** The columns of the CSV export, in order: the fields of AuditEventView, `details` as JSON. */
export const AUDIT_CSV_COLUMNS = [
  'timestamp',
  'type',
  'userId',
  'username',
  'actorId',
  'actor',
  'ip',
  'userAgent',
  'requestId',
  'details',
] as const satisfies readonly (keyof AuditEventView)[];

/**
 * One CSV cell (RFC 4180): always quoted, quotes doubled. A cell a spreadsheet would read as a
 * formula — starting with `=`, `+`, `-`, `@`, a tab or a carriage return — gets a leading `'`, so a
 * username such as `=HYPERLINK(...)` chosen by an attacker stays text (OWASP "CSV Injection").
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** A header line and one line per event, CRLF-terminated (RFC 4180). */
export function auditCsv(events: readonly AuditEventView[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const event of events) lines.push(AUDIT_CSV_COLUMNS.map((column) => csvCell(event[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
