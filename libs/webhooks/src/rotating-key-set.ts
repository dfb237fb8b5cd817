import { isUnresolvedReference } from '@mira/secrets';

/**
 * The values currently accepted for one credential: the configured ones, plus values that a
 * reload or a secret rotation just replaced, kept until their grace period ends so senders that
 * still hold the old value are not cut off mid-rotation.
 */
export class RotatingKeySet {
  private current: string[] = [];
  /** value -> epoch ms after which it is no longer accepted. */
  private readonly retired = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Swaps in the configured values; those dropped stay valid for `graceMs` (0 = revoked now). */
  update(values: readonly (string | null | undefined)[], graceMs: number): void {
    const next = [
      ...new Set(
        values.filter((v): v is string => typeof v === 'string' && v.length > 0 && !isUnresolvedReference(v)),
      ),
    ];
    const until = this.now() + graceMs;
    for (const old of this.current) {
      if (!next.includes(old) && graceMs > 0) this.retired.set(old, until);
    }
    for (const v of next) this.retired.delete(v);
    this.current = next;
  }

  /** Configured values first, then still-valid retired ones. */
  values(): string[] {
    const now = this.now();
    const alive: string[] = [];
    for (const [v, until] of this.retired) {
      if (until > now) alive.push(v);
      else this.retired.delete(v);
    }
    return [...this.current, ...alive];
  }

  get configuredCount(): number {
    return this.current.length;
  }
}
