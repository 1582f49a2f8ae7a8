import { randomUUID } from 'node:crypto';
import type { CredentialsRepository } from './credentials.repository';
import { LAST_USED_INTERVAL_MS, PatUseRecorder } from './pat-use-recorder';

describe('PatUseRecorder', () => {
  function recorder(fail = false) {
    const writes: { ids: string[]; at: Date; interval: number }[] = [];
    const repository = {
      touchPats: async (ids: string[], at: Date, interval: number) => {
        writes.push({ ids, at, interval });
        if (fail) throw new Error('database unavailable');
      },
    } as unknown as CredentialsRepository;
    return { uses: new PatUseRecorder(repository), writes };
  }

  it('writes the uses of many tokens together: one write per 500 tokens, not one per token', async () => {
    const { uses, writes } = recorder();
    const ids = Array.from({ length: 1_200 }, () => randomUUID());
    ids.forEach((id, i) => uses.record(id, 1_000_000 + i));
    expect(writes).toHaveLength(0);
    await uses.flush();
    expect(writes.map((write) => write.ids.length)).toEqual([500, 500, 200]);
    expect(new Set(writes.flatMap((write) => write.ids))).toEqual(new Set(ids));
    // At the latest use's time, each token at most once a minute (by any instance: the write's condition).
    expect(writes.every((write) => write.at.getTime() === 1_000_000 + 1_199 && write.interval === LAST_USED_INTERVAL_MS)).toBe(true);
  });

  it('writes a token used again before the write once, at its latest use', async () => {
    const { uses, writes } = recorder();
    const id = randomUUID();
    uses.record(id, 1_000);
    uses.record(id, 2_000);
    await uses.flush();
    expect(writes).toEqual([{ ids: [id], at: new Date(2_000), interval: LAST_USED_INTERVAL_MS }]);
    await uses.flush();
    expect(writes).toHaveLength(1);
  });

  it('writes on its own within a second, and before shutdown', async () => {
    jest.useFakeTimers();
    try {
      const { uses, writes } = recorder();
      uses.record(randomUUID(), Date.now());
      await jest.advanceTimersByTimeAsync(999);
      expect(writes).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(writes).toHaveLength(1);
      uses.record(randomUUID(), Date.now());
      await uses.beforeApplicationShutdown();
      expect(writes).toHaveLength(2);
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
