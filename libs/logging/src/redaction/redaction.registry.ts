import { Injectable } from '@nestjs/common';
import { REDACTED } from './redaction.constants';

/** Shorter values would mask ordinary words; secrets this short are not worth hiding by text match. */
const MIN_LENGTH = 4;

/**
 * Resolved secret values to mask wherever they would appear in a log line, message text included.
 * The secrets module registers each value it resolves (and unregisters rotated ones). Masking
 * runs on the serialized line: nothing to do while the registry is empty, otherwise one combined
 * regular expression per line.
 */
@Injectable()
export class RedactionRegistry {
  private readonly values = new Map<string, number>();
  private pattern: RegExp | null = null;
  private dirty = false;

  get size(): number {
    return this.values.size;
  }

  /** Registers a value (reference counted: register twice, unregister twice). */
  register(value: string | null | undefined): void {
    if (typeof value !== 'string' || value.length < MIN_LENGTH) return;
    // The line is JSON: a value with quotes, backslashes or control characters appears escaped.
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      this.values.set(form, (this.values.get(form) ?? 0) + 1);
    }
    this.dirty = true;
  }

  unregister(value: string | null | undefined): void {
    if (typeof value !== 'string') return;
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      const n = this.values.get(form);
      if (n === undefined) continue;
      if (n <= 1) this.values.delete(form);
      else this.values.set(form, n - 1);
    }
    this.dirty = true;
  }

  clear(): void {
    this.values.clear();
    this.dirty = true;
  }

  /** The text with every registered value replaced by [REDACTED]. */
  mask(text: string): string {
    if (this.values.size === 0) return text;
    if (this.dirty) this.compile();
    return this.pattern ? text.replace(this.pattern, REDACTED) : text;
  }

  private compile(): void {
    this.dirty = false;
    // Longest first, so a value containing another is masked whole.
    const alternatives = [...this.values.keys()]
      .sort((a, b) => b.length - a.length)
      .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = alternatives.length ? new RegExp(alternatives.join('|'), 'g') : null;
  }
}
