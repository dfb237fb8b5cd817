/**
 * What counts as secret in a config error (YAML code frames, env values quoted back): keys
 * named like credentials, and values that carry one (a URL with a password in it).
 */
const SECRET_KEY =
  /(secret|password|passwd|pwd|token|api_?key|private_?key|credential|passphrase|signing|salt|cookie|dsn|^keys?$|_key$)/i;
const CREDENTIAL_URL = /\/\/[^/\s:@]*:[^/\s@]+@/;

export const REDACTED_VALUE = '[redacted]';

/** True for a key (last segment or dotted path) named like a credential. */
export function isSecretLookingKey(key: string): boolean {
  const last = key.split('.').pop() ?? key;
  return SECRET_KEY.test(last.replace(/["']/g, ''));
}

/** True for a value that carries a credential whatever its key (`postgres://u:pw@host`). */
export function isCredentialValue(value: string): boolean {
  return CREDENTIAL_URL.test(value);
}

const KEY_LINE = /^(\s*)(-\s+)?([A-Za-z0-9_."'-]+)(\s*:)(.*)$/;

/**
 * Masks the values of secret-looking keys on the quoted lines of a YAML code frame (keys,
 * indentation and the caret line stay, so the fault is still visible). `source` is the file's
 * text: a list item or continuation line has no key of its own, and the key it belongs to is
 * found there; without it, such lines are masked.
 */
export function redactFrame(text: string, source?: string): string {
  const secretLines = source === undefined ? null : secretLinesOf(source);
  const [first, ...frame] = text.split('\n');
  return [
    first,
    ...frame.map((line) => {
      if (/^[\s^~]*$/.test(line)) return line;
      const m = KEY_LINE.exec(line);
      const secret =
        flowHasSecret(line) || (secretLines?.get(line.trimEnd()) ?? (m ? lineIsSecret(m[3], m[5]) : true));
      if (!secret) return line;
      if (!m) return `${/^\s*(?:-\s+)?/.exec(line)![0]}${REDACTED_VALUE}`;
      return `${m[1]}${m[2] ?? ''}${m[3]}${m[4]}${m[5].trim() ? ` ${REDACTED_VALUE}` : ''}`;
    }),
  ].join('\n');
}

/** A YAML flow mapping/sequence (`{ password: x }`, `[{ key: y }]`) holding a secret-looking key. */
function flowHasSecret(line: string): boolean {
  const start = line.search(/[{[]/);
  if (start < 0) return false;
  const flow = line.slice(start);
  for (const m of flow.matchAll(/["']?([A-Za-z0-9_.-]+)["']?\s*:/g))
    if (isSecretLookingKey(m[1])) return true;
  return isCredentialValue(flow);
}

function lineIsSecret(key: string, value: string): boolean {
  return isSecretLookingKey(key) || isCredentialValue(value);
}

/** Each line of `source` (trimmed at the end) -> whether its value is secret (secret wins on duplicates). */
function secretLinesOf(source: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const parents: { indent: number; secret: boolean }[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trimEnd();
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    while (parents.length && parents[parents.length - 1].indent > indent) parents.pop();
    const parentSecret = parents.length > 0 && parents[parents.length - 1].secret;
    const m = KEY_LINE.exec(line);
    let secret: boolean;
    if (m) {
      while (parents.length && parents[parents.length - 1].indent >= indent + (m[2] ? 1 : 0)) parents.pop();
      secret = lineIsSecret(m[3], m[5]);
      // Children of this key sit deeper than it (a list item's keys deeper than its dash).
      parents.push({ indent: indent + (m[2]?.length ?? 0), secret });
    } else {
      secret = parentSecret || isCredentialValue(line);
    }
    out.set(line, (out.get(line) ?? false) || secret);
  }
  return out;
}
