import { nextLink } from './tracker-http.client';

describe('nextLink (RFC 8288 Link header, as GitHub writes it)', () => {
  it('finds rel="next" among the others', () => {
    const link =
      '<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"';
    expect(nextLink(link)).toBe('https://api.github.com/repositories/1/issues?page=2');
  });

  it('is null on the last page or without a header', () => {
    expect(nextLink('<https://x/?page=1>; rel="first", <https://x/?page=4>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });

  it('accepts several relation types in one rel', () => {
    expect(nextLink('<https://x/?page=3>; rel="next last"')).toBe('https://x/?page=3');
  });
});
