import { randomUUID } from 'node:crypto';
import type { CredentialsRepository } from './credentials.repository';
import { LAST_USED_INTERVAL_MS, PatUseRecorder } from './pat-use-recorder';

describe('PatUseRecorder', () => {
  const made: PatUseRecorder[] = [];
  afterEach(async () => {
    // Closes each recorder's window (its timer).
    await Promise.all(made.splice(0).map((uses) => uses.onApplicationShutdown()));
  });

  function recorder(fail = false) {
    const writes: { ids: string[]; at: Date; interval: number }[] = [];
    const repository = {
      touchPats: async (ids: string[], at: Date, interval: number) => {
        writes.push({ ids, at, interval });
        if (fail) throw new Error('database unavailable');
      },
    } as unknown as CredentialsRepository;
    const uses = new PatUseRecorder(repository);
    made.push(uses);
    return { uses, writes };
  }

  it('writes the uses of many tokens together: one write per 500 tokens, not one per token', async () => {
    const { uses, writes } = recorder();
    const ids = Array.from({ length: 1_201 }, () => randomUUID());
    ids.forEach((id, i) => uses.record(id, 1_000_000 + i));
    await uses.flush();
    // The first use at once (nothing was written in the last second), the rest together.
    expect(writes.map((write) => write.ids.length)).toEqual([1, 500, 500, 200]);
    expect(new Set(writes.flatMap((write) => write.ids))).toEqual(new Set(ids));
    // At the latest use's time, each token at most once a minute (by any instance: the write's condition).
    expect(writes.map((write) => write.at.getTime())).toEqual([1_000_000, 1_001_200, 1_001_200, 1_001_200]);
    expect(writes.every((write) => write.interval === LAST_USED_INTERVAL_MS)).toBe(true);
  });

  it('writes a token used again before its write once, at its latest use', async () => {
    const { uses, writes } = recorder();
    const [first, again] = [randomUUID(), randomUUID()];
    uses.record(first, 1_000);
    uses.record(again, 1_500);
    uses.record(again, 2_000);
    await uses.flush();
    expect(writes).toEqual([
      { ids: [first], at: new Date(1_000), interval: LAST_USED_INTERVAL_MS },
      { ids: [again], at: new Date(2_000), interval: LAST_USED_INTERVAL_MS },
    ]);
    await uses.flush();
    expect(writes).toHaveLength(2);
  });

  it('writes a lone use at once, and what follows within the second at its end; before shutdown what waits', async () => {
    jest.useFakeTimers();
    try {
      const { uses, writes } = recorder();
      uses.record(randomUUID(), Date.now());
      await jest.advanceTimersByTimeAsync(0);
      expect(writes).toHaveLength(1);
      uses.record(randomUUID(), Date.now());
      uses.record(randomUUID(), Date.now());
      await jest.advanceTimersByTimeAsync(999);
      expect(writes).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(writes.map((write) => write.ids.length)).toEqual([1, 2]);
      // A second quiet second closes the window: the next lone use is written at once again.
      await jest.advanceTimersByTimeAsync(1_000);
      uses.record(randomUUID(), Date.now());
      await jest.advanceTimersByTimeAsync(0);
      expect(writes).toHaveLength(3);
      uses.record(randomUUID(), Date.now());
      await uses.beforeApplicationShutdown();
      expect(writes).toHaveLength(4);
    } finally {
      jest.useRealTimers();
    }
  });

  it('logs a failed write and goes on (a lost last use never fails a request or a listing)', async () => {
    const { uses, writes } = recorder(true);
    uses.record(randomUUID(), 1_000);
    await expect(uses.flush()).resolves.toBeUndefined();
    uses.record(randomUUID(), 2_000);
    await expect(uses.flush()).resolves.toBeUndefined();
    expect(writes).toHaveLength(2);
  });
});
