import { auditCsv, auditCsvChunks, csvCell } from './audit-csv';
import type { AuditEventView } from './dto/audit-event.view';

describe('audit CSV', () => {
  it('quotes every cell and doubles quotes', () => {
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell({ from: 'USER' })).toBe('"{""from"":""USER""}"');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const text of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(text)).toBe(`"'${text}"`);
    expect(csvCell('alice=bob')).toBe('"alice=bob"');
  });

  it('writes a header and one CRLF line per event', () => {
    const event: AuditEventView = {
      id: '1',
      timestamp: '2026-11-30T11:00:00.000Z',
      type: 'login.success',
      userId: 'u',
      username: '=cmd',
      actorId: null,
      actor: null,
      ip: '127.0.0.1',
      userAgent: 'UA',
      requestId: 'r',
      details: { amr: ['pwd'] },
    };
    expect(auditCsv([event])).toBe(
      'timestamp,type,userId,username,actorId,actor,ip,userAgent,requestId,details\r\n' +
        '"2026-11-30T11:00:00.000Z","login.success","u","\'=cmd","","","127.0.0.1","UA","r","{""amr"":[""pwd""]}"\r\n',
    );
  });

  it('streams the same text a batch at a time (header first, empty batches add nothing)', async () => {
    const event = (id: string): AuditEventView => ({
      id,
      timestamp: '2026-11-30T11:00:00.000Z',
      type: 'login.failure',
      userId: 'u',
      username: `user-${id}`,
      actorId: null,
      actor: null,
      ip: null,
      userAgent: '=1+1',
      requestId: null,
      details: null,
    });
    async function* batches() {
      yield [event('1'), event('2')];
      yield [];
      yield [event('3')];
    }
    let streamed = '';
    for await (const chunk of auditCsvChunks(batches())) streamed += chunk;
    expect(streamed).toBe(auditCsv([event('1'), event('2'), event('3')]));
    expect(streamed.split('\r\n')).toHaveLength(5);
  });
});
