import { bodyTooLarge, invalidJson, jsonSyntaxProblem } from './json-position';

describe('jsonSyntaxProblem', () => {
  it.each([
    ['{\n  "a": 1,\n  "b" 2}', 3, 7, "Expected ':' after property name"],
    ['{x}', 1, 2, "Expected property name or '}'"],
    // V8 gives no position for this one: found by the prefix search.
    ['[1,]', 1, 4, "Unexpected token ']'"],
    ['{\n"a": [1,\n  2,\n  ]}', 4, 3, "Unexpected token ']'"],
    ['{"a":', 1, 6, 'Unexpected end of JSON input'],
  ])('%j breaks at line %i, column %i', (text, line, column, reason) => {
    expect(jsonSyntaxProblem(text)).toEqual({ line, column, reason });
  });

  it('is null for valid JSON', () => {
    expect(jsonSyntaxProblem('{"a":[1,2]}')).toBeNull();
  });

  it('makes coded 400 and 413 errors that say what to change', () => {
    const bad = invalidJson(Buffer.from('{\n  "a": tru\n}'));
    expect([bad.code, bad.statusCode]).toEqual(['INVALID_JSON', 400]);
    expect(bad.message).toMatch(/^Request body is not valid JSON at line 2, column \d+ \(.+\): fix the JSON/);
    const big = bodyTooLarge(1024);
    expect([big.code, big.statusCode]).toEqual(['BODY_TOO_LARGE', 413]);
    expect(big.message).toContain('1024 bytes (server.body_limit_bytes)');
  });
});
