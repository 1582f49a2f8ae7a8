import { serializeDetails } from './audit.service';

describe(serializeDetails.name, () => {
  it('keeps small details whole', () => {
    expect(JSON.parse(serializeDetails({ roleId: 'r', added: ['a:read'] }))).toEqual({ roleId: 'r', added: ['a:read'] });
  });

  it('shortens long lists and strings so the column holds valid JSON (no cut in the middle of a string)', () => {
    const added = Array.from({ length: 80 }, (_, i) => `module-${i}:read`);
    const text = serializeDetails({ roleId: 'r', added, note: 'x'.repeat(500) });
    expect(text.length).toBeLessThanOrEqual(1000);
    expect(JSON.parse(text)).toEqual({ roleId: 'r', added: [...added.slice(0, 5), '… 80 in all'], note: `${'x'.repeat(200)}…` });
  });

  it('keeps only the field names when even the shortened details do not fit', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field${i}`, 'y'.repeat(150)]));
    const parsed = JSON.parse(serializeDetails(many)) as { truncated: boolean; fields: string[] };
    expect(parsed.truncated).toBe(true);
    expect(parsed.fields).toHaveLength(20);
  });
});
