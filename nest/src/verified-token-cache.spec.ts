import type { AuthenticatedUser } from './authenticated-user';
import { VerifiedTokenCache } from './verified-token-cache';

const user = (exp: number): AuthenticatedUser => ({
  id: 'u',
  username: 'alice',
  roles: [],
  permissions: [],
  sessionId: 's',
  tokenExpiresAt: exp,
});

describe(VerifiedTokenCache.name, () => {
  it('trusts an entry until the token exp, plus the clock tolerance', () => {
    const cache = new VerifiedTokenCache(10, 5);
    cache.set('t', user(1000));
    expect(cache.get('t', 1_004_999)).toEqual(user(1000));
    expect(cache.get('t', 1_005_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets the oldest entry first when full', () => {
    const cache = new VerifiedTokenCache(2);
    const now = 0;
    cache.set('a', user(100));
    cache.set('b', user(100));
    cache.set('c', user(100));
    expect(cache.size).toBe(2);
    expect(cache.get('a', now)).toBeUndefined();
    expect(cache.get('b', now)).toBeDefined();
    expect(cache.get('c', now)).toBeDefined();
  });

  it('does not evict when a known token is stored again', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', user(100));
    cache.set('b', user(100));
    cache.set('b', user(100));
    expect(cache.get('a', 0)).toBeDefined();
  });
});
