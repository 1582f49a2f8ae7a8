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

const HEADER = `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;

/** One event's line, CRLF-terminated (RFC 4180). */
function csvLine(event: AuditEventView): string {
  return `${AUDIT_CSV_COLUMNS.map((column) => csvCell(event[column])).join(',')}\r\n`;
}

/** A header line and one line per event. */
export function auditCsv(events: readonly AuditEventView[]): string {
  return HEADER + events.map(csvLine).join('');
}

/** The same CSV a batch at a time: the header line, then the lines of each batch as it comes. */
export async function* auditCsvChunks(batches: AsyncIterable<readonly AuditEventView[]>): AsyncGenerator<string> {
  yield HEADER;
  for await (const batch of batches) if (batch.length > 0) yield batch.map(csvLine).join('');
}
