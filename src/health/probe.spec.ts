import { Probe } from './probe';

const never = () => new Promise<boolean>(() => undefined);

describe(Probe.name, () => {
  it('answers the fallback within its time limit when the check hangs', async () => {
    const probe = new Probe(never, 50, false);
    const started = Date.now();
    await expect(probe.run()).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('answers the fallback when the check fails or throws', async () => {
    await expect(new Probe(() => Promise.reject(new Error('down')), 50, false).run()).resolves.toBe(false);
    await expect(
      new Probe(
        () => {
          throw new Error('down');
        },
        50,
        false,
      ).run(),
    ).resolves.toBe(false);
  });

  it('lets concurrent calls share one running check', async () => {
    let calls = 0;
    let finish!: (value: boolean) => void;
    const probe = new Probe(
      () => {
        calls++;
        return new Promise<boolean>((resolve) => (finish = resolve));
      },
      1000,
      false,
    );
    const first = probe.run();
    const second = probe.run();
    finish(true);
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    expect(calls).toBe(1);
  });

  it('keeps nothing once a check settled: the next call checks again', async () => {
    const answers = [true, false];
    const probe = new Probe(() => Promise.resolve(answers.shift()!), 1000, false);
    await expect(probe.run()).resolves.toBe(true);
    await expect(probe.run()).resolves.toBe(false);
  });

  it('starts a new check once a hung one is older than the time limit', async () => {
    // The wall clock stands still: the deadline timer alone must retire the hung check (timers and
    // Date.now() can disagree by a millisecond, which once made the next call share the hung check).
    const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    let calls = 0;
    const probe = new Probe(
      () => {
        calls++;
        return calls === 1 ? never() : Promise.resolve(true);
      },
      30,
      false,
    );
    await expect(probe.run()).resolves.toBe(false);
    await expect(probe.run()).resolves.toBe(true);
    expect(calls).toBe(2);
    clock.mockRestore();
  });
});
