import type { RevocationBus } from './revocation-bus';

/**
 * A bounded cache of "may this one act now" answers (a user for a personal access token, a service
 * client), each valid until its own deadline, and only while the revocation bus is trusted (events
 * from other instances may otherwise be missing). The oldest entry goes first when full. Owners drop
 * entries on the bus's events.
 */
export class ChecksCache<T> {
  private readonly entries = new Map<string, { check: T; validUntil: number }>();

  constructor(
    private readonly bus: Pick<RevocationBus, 'trustedUntil'>,
    private readonly maxEntries: number,
  ) {}

  get(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const now = Date.now();
    if (now > this.bus.trustedUntil || now >= entry.validUntil) return undefined;
    return entry.check;
  }

  set(id: string, check: T, ttlMs: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { check, validUntil: Date.now() + ttlMs });
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
