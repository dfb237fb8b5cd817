import { OTHER_LABEL } from '../metrics.constants';

/**
 * Keeps a label's value set bounded: values registered as known always pass, up to `maxExtra`
 * other distinct values are admitted first come, and everything beyond maps to "other".
 * A client sending random message types can therefore never grow the series count without limit.
 */
export class BoundedLabel {
  private readonly known = new Set<string>();
  private readonly extra = new Set<string>();

  constructor(
    private readonly maxExtra: number,
    known: Iterable<string> = [],
  ) {
    for (const k of known) this.known.add(k);
  }

  allow(values: Iterable<string>): void {
    for (const v of values) this.known.add(v);
  }

  isKnown(value: string): boolean {
    return this.known.has(value);
  }

  value(raw: string | undefined | null): string {
    if (raw === undefined || raw === null || raw === '') return OTHER_LABEL;
    if (this.known.has(raw) || this.extra.has(raw)) return raw;
    if (this.extra.size < this.maxExtra && raw.length <= 64) {
      this.extra.add(raw);
      return raw;
    }
    return OTHER_LABEL;
  }
}
