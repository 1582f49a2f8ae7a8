import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PrincipalCache, SessionCheck, SessionRefHolder } from './principal-cache';

/** A full garbage collection, so heap figures count live objects only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Runs `act`, failing if it deleted from any Map: a delete and re-add per call is the churn the cache avoids. */
function expectNoMapDeletes(act: () => void): void {
  const deletes = jest.spyOn(Map.prototype, 'delete');
  try {
    act();
    expect(deletes).not.toHaveBeenCalled();
  } finally {
    deletes.mockRestore();
  }
}

const ok = (id: string): SessionCheck => ({ ok: true, id, username: `user-${id.slice(0, 8)}`, roles: ['USER'], permissions: [] });

describe(PrincipalCache.name, () => {
  it('keeps a check until its session is revoked or expires, not for a fixed time', () => {
    const cache = new PrincipalCache();
    const userId = randomUUID();
    cache.set('s1', userId, ok(userId), 10_000);
    expect(cache.get('s1', 9_999)).toMatchObject({ ok: true });
    expect(cache.get('s1', 10_000)).toBeUndefined();
    cache.set('s2', userId, ok(userId), Number.MAX_SAFE_INTEGER);
    cache.dropSession('s2');
    expect(cache.get('s2')).toBeUndefined();
  });

  it('drops every session of a user at once', () => {
    const cache = new PrincipalCache();
    const [ada, bob] = [randomUUID(), randomUUID()];
    for (let i = 0; i < 5; i++) cache.set(`ada-${i}`, ada, ok(ada), Number.MAX_SAFE_INTEGER);
    cache.set('bob-0', bob, ok(bob), Number.MAX_SAFE_INTEGER);
    cache.dropUser(ada);
    expect(cache.size).toBe(1);
    expect(cache.get('bob-0')).toBeDefined();
    expect(cache.users).toBe(1);
  });

  it('evicts the least recently used entry first', () => {
    const cache = new PrincipalCache(3);
    const user = randomUUID();
    for (const id of ['a', 'b', 'c']) cache.set(id, user, ok(user), Number.MAX_SAFE_INTEGER);
    cache.get('a');
    cache.set('d', user, ok(user), Number.MAX_SAFE_INTEGER);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].every((id) => cache.get(id) !== undefined)).toBe(true);
  });

  it('keeps an entry used at least once per half of its bound, however many others arrive', () => {
    const cache = new PrincipalCache(10);
    const user = randomUUID();
    cache.set('busy', user, ok(user), Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 100; i++) {
      cache.set(`other-${i}`, user, ok(user), Number.MAX_SAFE_INTEGER);
      if (i % 5 === 4) expect(cache.get('busy')).toBeDefined();
    }
    expect(cache.get('busy')).toBeDefined();
    expect(cache.size).toBe(10);
  });

  it('does not reorder its table on hits of a recently placed entry (one busy token costs no Map churn)', () => {
    // Moving an entry on every hit left a deleted entry in its bucket's chain per request: re-adding the
    // key then walked them all (one client reusing its token paid ~20 µs a request; see bench/RESULTS.md).
    const cache = new PrincipalCache(1000);
    const user = randomUUID();
    for (let i = 0; i < 1000; i++) cache.set(`s-${i}`, user, ok(user), Number.MAX_SAFE_INTEGER);
    expectNoMapDeletes(() => {
      for (let i = 0; i < 10_000; i++) cache.get('s-999');
    });
  });

  it('updates a recent session read again where it stands, without churning the table', () => {
    const cache = new PrincipalCache(1000);
    const user = randomUUID();
    for (let i = 0; i < 1000; i++) cache.set(`s-${i}`, user, ok(user), Number.MAX_SAFE_INTEGER);
    expectNoMapDeletes(() => {
      for (let i = 0; i < 100; i++) cache.set('s-999', user, ok(user), Number.MAX_SAFE_INTEGER);
      cache.set('s-999', user, { ok: false, reason: 'revoked' }, Number.MAX_SAFE_INTEGER);
    });
    expect(cache.get('s-999')).toEqual({ ok: false, reason: 'revoked' });
    const renamed = { ...ok(user), username: 'renamed' };
    cache.set('s-999', user, renamed, Number.MAX_SAFE_INTEGER);
    expect(cache.get('s-999')).toBe(renamed);
    expect(cache.get('s-0')).toBe(renamed);
    cache.set('s-999', user, ok(user), 5);
    expect(cache.get('s-999', 5)).toBeUndefined();
    expect(cache.size).toBe(999);
  });

  it('reads a holder’s entry without a lookup while it is cached, and never once it has left', () => {
    const cache = new PrincipalCache(3);
    const [ada, bob] = [randomUUID(), randomUUID()];
    const never = Number.MAX_SAFE_INTEGER;
    const holder: SessionRefHolder = {};
    cache.set('s1', ada, ok(ada), never);
    expect(cache.get('s1', undefined, holder)).toMatchObject({ ok: true, id: ada });
    const lookups = jest.spyOn(Map.prototype, 'get');
    try {
      expect(cache.get('s1', undefined, holder)).toMatchObject({ ok: true, id: ada });
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }
    // Read again in place (revocations not trusted): the holder sees the new answer.
    cache.set('s1', ada, { ok: false, reason: 'revoked' }, never);
    expect(cache.get('s1', undefined, holder)).toEqual({ ok: false, reason: 'revoked' });
    cache.set('s1', ada, ok(ada), never);
    // Every way out of the cache: the holder's entry is not read again.
    const leaves: [string, () => void][] = [
      ['revoked', () => cache.dropSession('s1')],
      ['user changed', () => cache.dropUser(ada)],
      ['cleared', () => cache.clear()],
      ['evicted', () => ['e1', 'e2', 'e3'].forEach((id) => cache.set(id, bob, ok(bob), never))],
      ['replaced', () => cache.set('s1', bob, ok(bob), never)],
    ];
    for (const [why, leave] of leaves) {
      cache.set('s1', ada, ok(ada), never);
      expect(cache.get('s1', undefined, holder)).toMatchObject({ id: ada });
      leave();
      expect([why, cache.get('s1', undefined, holder)]).toEqual([
        why,
        why === 'replaced' ? expect.objectContaining({ id: bob }) : undefined,
      ]);
      cache.clear();
    }
  });

  it('lets a held reference go once its entry has left, and reads the session anew on any doubt', () => {
    const cache = new PrincipalCache(3);
    const [ada, bob] = [randomUUID(), randomUUID()];
    const never = Number.MAX_SAFE_INTEGER;
    const holder: SessionRefHolder = {};
    // Expired: refused, and the holder keeps nothing.
    cache.set('s1', ada, ok(ada), 1_000);
    expect(cache.get('s1', 999, holder)).toMatchObject({ id: ada });
    expect(cache.get('s1', 1_000, holder)).toBeUndefined();
    expect(holder.session).toBeUndefined();
    // Revoked: the next read misses, and the holder keeps nothing.
    cache.set('s1', ada, ok(ada), never);
    cache.get('s1', undefined, holder);
    cache.dropSession('s1');
    expect(cache.get('s1', undefined, holder)).toBeUndefined();
    expect(holder.session).toBeUndefined();
    // Read again after it fell into the older half: a new entry, which the holder then follows.
    cache.set('s1', ada, ok(ada), never);
    cache.get('s1', undefined, holder);
    ['e1', 'e2'].forEach((id) => cache.set(id, bob, ok(bob), never));
    cache.set('s1', ada, { ok: false, reason: 'revoked' }, never);
    expect(cache.get('s1', undefined, holder)).toEqual({ ok: false, reason: 'revoked' });
    // A reference held for another session is never taken for this one.
    expect(cache.get('e1', undefined, holder)).toMatchObject({ id: bob });
    expect(cache.get('s1', undefined, holder)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('stays within its bound, in entries and in memory, after 100,000 sessions of 10,000 users', () => {
    const bound = 50_000;
    const cache = new PrincipalCache(bound);
    const users = Array.from({ length: 10_000 }, () => randomUUID());
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      const user = users[i % users.length];
      cache.set(randomUUID(), user, ok(user), Number.MAX_SAFE_INTEGER);
    }
    expect(cache.size).toBe(bound);
    expect(cache.users).toBeLessThanOrEqual(users.length);
    collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    // The bound in memory (PrincipalCache's comment: about 30 MB for 50,000 sessions).
    expect(grownMb).toBeLessThan(36);
    // Dropping a user leaves no trace of them in the index.
    cache.dropUser(users[0]);
    cache.dropUser(users[1]);
    expect(cache.users).toBeLessThanOrEqual(users.length - 2);
  });
});
