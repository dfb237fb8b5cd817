import { relative } from './format';

describe('relative()', () => {
  const now = Date.parse('2026-12-07T06:00:00.000Z');
  const at = (ms: number) => new Date(now + ms).toISOString();

  it('says "just now" for the current millisecond and the last 45 s', () => {
    expect(relative(at(0), now)).toBe('just now');
    expect(relative(at(-44_000), now)).toBe('just now');
  });

  it('says "in a moment" only for a time still ahead', () => {
    expect(relative(at(1), now)).toBe('in a moment');
  });
});
