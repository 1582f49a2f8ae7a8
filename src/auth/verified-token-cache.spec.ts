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
});
