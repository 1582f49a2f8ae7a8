import { VerifiedTokenCache } from './verified-token-cache';

describe(VerifiedTokenCache.name, () => {
  const entry = (exp: number) => ({ sub: 'user', sid: 'session', exp });

  it('returns a token until its exp and not at exp (no leeway)', () => {
    const cache = new VerifiedTokenCache();
    cache.set('token', entry(1000));
    expect(cache.get('token', 999_999)).toEqual(entry(1000));
    expect(cache.get('token', 1_000_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('honours CLOCK_TOLERANCE like the verifier', () => {
    const cache = new VerifiedTokenCache(10, 5);
    cache.set('token', entry(1000));
    expect(cache.get('token', 1_004_999)).toBeDefined();
    expect(cache.get('token', 1_005_000)).toBeUndefined();
  });

  it('keys by the whole token and evicts the oldest entry when full', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', entry(9e9));
    cache.set('b', entry(9e9));
    cache.set('c', entry(9e9));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('c ')).toBeUndefined();
  });

  it('matches the whole token, not only its signature: an altered header or payload is a miss that leaves the entry', () => {
    const cache = new VerifiedTokenCache();
    cache.set('header.payload.signature', entry(9e9));
    expect(cache.get('header.payload.signature')).toBeDefined();
    expect(cache.get('header.payloaD.signature')).toBeUndefined();
    expect(cache.get('Header.payload.signature')).toBeUndefined();
    expect(cache.get('x.header.payload.signature')).toBeUndefined();
    expect(cache.get('signature')).toBeUndefined();
    expect(cache.get('header.payload.signature')).toBeDefined();
    expect(cache.size).toBe(1);
  });

  it('replaces a token set again in place, evicting nothing', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a.b.one', entry(9e9));
    cache.set('a.b.two', entry(9e9));
    cache.set('a.b.two', entry(8e9));
    expect(cache.get('a.b.one')).toBeDefined();
    expect(cache.get('a.b.two')?.exp).toBe(8e9);
  });
});
