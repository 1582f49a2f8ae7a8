import { parseBasicAuthorization } from './basic-credentials';

const encode = (text: string | Buffer) => Buffer.from(text).toString('base64');

describe(parseBasicAuthorization.name, () => {
  it('splits at the first colon, so passwords may contain colons (RFC 7617 §2)', () => {
    expect(parseBasicAuthorization(`Basic ${encode('alice:pa:ss:word')}`)).toEqual({ username: 'alice', password: 'pa:ss:word' });
  });

  it('accepts the scheme in any case and an empty password', () => {
    expect(parseBasicAuthorization(`bAsIc ${encode('alice:')}`)).toEqual({ username: 'alice', password: '' });
  });

  it('decodes UTF-8', () => {
    expect(parseBasicAuthorization(`Basic ${encode('jürgen:pässwörd')}`)).toEqual({ username: 'jürgen', password: 'pässwörd' });
  });

  it('returns undefined for other schemes', () => {
    expect(parseBasicAuthorization('Bearer abc.def.ghi')).toBeUndefined();
    expect(parseBasicAuthorization('Basically abc')).toBeUndefined();
  });

  it.each([
    ['no credentials', 'Basic'],
    ['no colon', `Basic ${encode('alice')}`],
    ['an empty user-id', `Basic ${encode(':secret')}`],
    ['characters outside base64', 'Basic a$b%c^d='],
    ['bad padding', 'Basic YWJj='],
    ['invalid UTF-8', `Basic ${encode(Buffer.from([0x61, 0x3a, 0xc3, 0x28]))}`],
    ['a control character', `Basic ${encode('alice:se\u0000cret')}`],
    ['an oversized value', `Basic ${'A'.repeat(8192)}`],
  ])('reports %s as malformed', (_case, header) => {
    expect(parseBasicAuthorization(header)).toBe('malformed');
  });
});
