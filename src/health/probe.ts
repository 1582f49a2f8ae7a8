/**
 * One dependency check with a deadline. Every call answers within `timeoutMs` — `fallback` when the
 * check has not settled by then (a hung database gives a quick "down", not a hung probe). A call that
 * arrives while a check started less than `timeoutMs` ago is still running shares that check instead
 * of starting another, so probes from several load balancers cannot pile queries onto a hung
 * connection pool; once a check settles nothing of it is kept, so each later call checks afresh.
 */
export class Probe<T> {
  private running?: { startedAt: number; result: Promise<T> };

  constructor(
    private readonly check: () => Promise<T>,
    private readonly timeoutMs: number,
    private readonly fallback: T,
  ) {}

  run(): Promise<T> {
    const now = Date.now();
    let running = this.running;
    if (!running || now - running.startedAt >= this.timeoutMs) {
      const entry = { startedAt: now, result: this.start() };
      running = this.running = entry;
      void entry.result.then(() => {
        if (this.running === entry) this.running = undefined;
      });
    }
    const shared = running;
    // A check that outlived its deadline is dropped when the deadline fires (not only when a later
    // call's clock says so: timers and Date.now() can disagree by a millisecond).
    return withDeadline(shared.result, this.timeoutMs - (now - shared.startedAt), this.fallback, () => {
      if (this.running === shared) this.running = undefined;
    });
  }

  private start(): Promise<T> {
    try {
      return this.check().catch(() => this.fallback);
    } catch {
      return Promise.resolve(this.fallback);
    }
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, fallback: T, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(
      () => {
        onTimeout();
        resolve(fallback);
      },
      Math.max(ms, 0),
    );
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
