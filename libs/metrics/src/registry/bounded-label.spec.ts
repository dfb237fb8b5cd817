import { BoundedLabel } from './bounded-label';

describe('BoundedLabel', () => {
  it('passes known values, admits a few others, then maps to "other"', () => {
    const l = new BoundedLabel(2, ['known']);
    expect(l.value('known')).toBe('known');
    expect(l.value('a')).toBe('a');
    expect(l.value('b')).toBe('b');
    expect(l.value('c')).toBe('other');
    expect(l.value('a')).toBe('a');
    expect(l.value('x'.repeat(100))).toBe('other');
    expect(l.value('')).toBe('other');
    for (let i = 0; i < 1000; i++) l.value(`junk-${i}`);
    expect(new Set(Array.from({ length: 1000 }, (_, i) => l.value(`junk-${i}`)))).toEqual(new Set(['other']));
  });
});
