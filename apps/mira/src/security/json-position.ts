import { EdgeLimitError } from './edge-limit.error';

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  /** V8's reason without its position suffix, e.g. `Expected ':' after property name`. */
  reason: string;
}

/**
 * Where `text` stops being JSON: Fastify's parser replaces V8's SyntaxError with a message that
 * has no position, so the text is parsed again here (only for a body that already failed) and
 * the line and column are computed from V8's offset (the end of the text when V8 gives none).
 * Null when the text is valid JSON.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const message = (err as Error).message;
    const offset = errorOffset(text, message);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const reason = message
      .replace(/, (\.\.\.)?".*$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .trim()
      // A control character as the offending token stays readable on one line.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
    return { line, column, reason: reason.slice(0, 120) };
  }
}

/**
 * V8's offset, or, when its message has none (`Unexpected token ']', "[1,]" is not valid JSON`),
 * the first character no valid JSON can continue with: the shortest prefix that fails for a
 * reason other than ending too early (a prefix that fails is followed only by failing ones).
 */
function errorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at) return Math.min(Number(at[1]), text.length);
  if (message.startsWith('Unexpected end of JSON input')) return text.length;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    if (brokenBeforeEnd(text.slice(0, mid))) bad = mid;
    else good = mid;
  }
  return bad - 1;
}

function brokenBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('Unexpected end of JSON input')) return false;
    const at = /at position (\d+)/.exec(message);
    return at ? Number(at[1]) < prefix.length : true;
  }
}

/** 400 for a body that is not JSON, naming where it breaks and what was expected there. */
export function invalidJson(body: Buffer | string): EdgeLimitError {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const problem = jsonSyntaxProblem(text);
  const where = problem ? ` at line ${problem.line}, column ${problem.column} (${problem.reason})` : '';
  return new EdgeLimitError(
    'INVALID_JSON',
    400,
    `Request body is not valid JSON${where}: fix the JSON or its Content-Type`,
  );
}

/** 413 naming the limit and the key that sets it. */
export function bodyTooLarge(limitBytes: number): EdgeLimitError {
  return new EdgeLimitError(
    'BODY_TOO_LARGE',
    413,
    `Request body is larger than ${limitBytes} bytes (server.body_limit_bytes): send a smaller body or raise server.body_limit_bytes`,
  );
}
