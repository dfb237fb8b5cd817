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

/** True for a value that carries a credential whatever its key (`postgres://u:pw@host`, `?token=`, a Slack hook). */
export function isCredentialValue(value: string): boolean {
  return CREDENTIAL_URL.test(value) || maskCredentialUrls(value) !== value;
}

/** Query (or fragment) parameters whose value is a credential, beside every secret-looking name. */
const SECRET_PARAM =
  /^(token|key|secret|sig|password|pass|auth|authorization|(?:x-)?api[-_]?key|code|jwt|sas|bearer|session|sessionid|[a-z0-9_.-]*signature|x-(?:amz|goog)-credential)$/i;
/** Hosts whose webhook URLs carry the credential in the path: only the first segment stays. */
const SECRET_PATH_HOSTS =
  /^(hooks\.slack\.com|hooks\.slack-gov\.com|(?:(?:canary|ptb)\.)?(?:discord|discordapp)\.com|[a-z0-9-]+\.webhook\.office\.com|outlook\.office\.com)$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Schemes whose paths may hold '@' (profile pages, package scopes). */
const WEB_SCHEME = /^(https?|wss?|ftp):\/\/$/i;
const WHITESPACE = /\s/;
/** The URL's text after `://`: up to whitespace, a quote, `<>`, a backtick or a backslash (`\u0026` continues it). Sticky: linear. */
const URL_BODY = /[^\s"'<>`\\]*/y;
/** Longest scheme looked at before `://` (a longer run only shifts where the masked URL starts). */
const MAX_SCHEME = 32;

/** True for a parameter name (as written in the URL) whose value is a credential. */
function isSecretParamName(raw: string): boolean {
  let name = raw;
  // Decoding only when there is something to decode keeps a long query cheap (access log: per request).
  // Only well-formed escapes are decoded, without decodeURIComponent: a name full of stray `%` would
  // otherwise throw once per parameter, on every request's access line.
  if (name.includes('%') || name.includes('+'))
    name = name
      .replace(/\+/g, ' ')
      .replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (name.endsWith(']') || name.endsWith(' ')) name = name.trim().replace(/\[\]$/, '');
  return SECRET_PARAM.test(name) || isSecretLookingKey(name);
}

/** Length of the separator at `i` (`&`, `;`, or `&` JSON-escaped as `\u0026`), 0 when none. */
function separatorAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 38 || c === 59) return 1;
  return c === 92 && text.slice(i + 1, i + 6).toLowerCase() === 'u0026' ? 6 : 0;
}

/**
 * `a=1&token=x` with the values of credential-named parameters masked (`token=[redacted]`);
 * separators (`&`, `;`, `\u0026`) kept as written. One pass over the text.
 */
export function maskCredentialParams(query: string): string {
  let out = '';
  let copied = 0;
  for (let start = 0; start <= query.length;) {
    let end = start;
    let eq = -1;
    let sep = 0;
    for (; end < query.length; end++) {
      if ((sep = separatorAt(query, end)) > 0) break;
      if (eq < 0 && query.charCodeAt(end) === 61) eq = end;
    }
    if (eq >= 0 && isSecretParamName(query.slice(start, eq))) {
      out += query.slice(copied, eq + 1) + REDACTED_VALUE;
      copied = end;
    }
    if (sep === 0) break;
    start = end + sep;
  }
  return copied === 0 ? query : out + query.slice(copied);
}

const AUTHORITY_END = /[/?#]/g;
const PATH_END = /[?#]/g;

/** Index of the first match of global `re` in `text` at or after `from`, else `text.length`. */
function firstOf(text: string, re: RegExp, from: number): number {
  re.lastIndex = from;
  return re.exec(text)?.index ?? text.length;
}

/**
 * A URL with its credentials masked, the rest kept so it can still be recognised: user info
 * (`postgres://[redacted]@db/mira`, up to the LAST `@` of the authority, so a password holding `@`
 * goes whole), credential-named query parameters (`?token=[redacted]`), and the path of webhook URLs
 * that are themselves the credential (`https://hooks.slack.com/services/[redacted]`).
 * A value that is not a URL comes back unchanged. Parsed with index scans, not a backtracking
 * regular expression: linear in the URL's length whatever it holds.
 */
export function maskCredentialUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (!scheme || WHITESPACE.test(url)) return url;
  let authorityEnd = firstOf(url, AUTHORITY_END, scheme.length);
  let authority = url.slice(scheme.length, authorityEnd);
  // A "port" that is empty or not a number is a password holding '/', '?' or '#' (or starting
  // with '/'), and the user info runs to the URL's last '@' (such a URL is invalid anyway:
  // over-masking is safe). In a web URL a numeric start reads as host:port/path, as URL parsers
  // read it (`https://host:8080/users/@ada`); a connection string (postgres, redis, amqp...) has
  // no '@' in its path, so there `u:123/45@db` is a password starting with digits.
  const colon = authority.lastIndexOf(':');
  if (
    colon >= 0 &&
    !authority.includes('@') &&
    !authority.startsWith('[') &&
    (!WEB_SCHEME.test(scheme) || !/^\d+$/.test(authority.slice(colon + 1)))
  ) {
    const lastAt = url.lastIndexOf('@');
    if (lastAt > authorityEnd) {
      authorityEnd = firstOf(url, AUTHORITY_END, lastAt);
      authority = url.slice(scheme.length, authorityEnd);
    }
  }
  const at = authority.lastIndexOf('@');
  const host = authority.slice(at + 1);
  const queryAt = firstOf(url, PATH_END, authorityEnd);
  const path = url.slice(authorityEnd, queryAt);
  const fragmentAt = url.indexOf('#', queryAt);
  const query = url[queryAt] === '?' ? url.slice(queryAt, fragmentAt < 0 ? url.length : fragmentAt) : '';
  const fragment = fragmentAt < 0 ? '' : url.slice(fragmentAt);
  let outPath = path;
  // `hooks.slack.com.` (a fully qualified name) is the same host.
  if (SECRET_PATH_HOSTS.test(host.replace(/:\d*$/, '').replace(/\.$/, ''))) {
    const first = /^\/(?:api\/)?[^/]*/.exec(path)?.[0] ?? '';
    if (path.length > first.length + 1) outPath = `${first}/${REDACTED_VALUE}`;
  }
  return (
    scheme +
    (at >= 0 ? `${REDACTED_VALUE}@` : '') +
    host +
    outPath +
    (query ? `?${maskCredentialParams(query.slice(1))}` : '') +
    (fragment ? `#${maskCredentialParams(fragment.slice(1))}` : '')
  );
}

const isSchemeChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** Where the URL whose text starts at `from` ends (URL_BODY runs, joined by `\u0026`). */
function urlEnd(text: string, from: number): number {
  let end = from;
  for (;;) {
    URL_BODY.lastIndex = end;
    URL_BODY.test(text);
    end = URL_BODY.lastIndex;
    if (text.charCodeAt(end) !== 92 || text.slice(end + 1, end + 6).toLowerCase() !== 'u0026') return end;
    end += 6;
  }
}

/**
 * Every `scheme://...` URL in a text (a log line, an error message) with its credentials masked.
 * Runs on every log line, so it finds each `://` with indexOf and walks back at most MAX_SCHEME
 * characters to the scheme: linear in the text, however many `://` or `a.a.a` runs it holds.
 */
export function maskCredentialUrls(text: string): string {
  let sep = text.indexOf('://');
  if (sep < 0) return text;
  let out = '';
  let done = 0;
  while (sep >= 0) {
    let start = sep;
    while (start > done && sep - start < MAX_SCHEME && isSchemeChar(text.charCodeAt(start - 1))) start--;
    while (start < sep && !isLetter(text.charCodeAt(start))) start++;
    const end = start < sep ? urlEnd(text, sep + 3) : -1;
    if (end <= sep + 3) {
      sep = text.indexOf('://', sep + 1);
      continue;
    }
    out += text.slice(done, start) + maskCredentialUrl(text.slice(start, end));
    done = end;
    sep = text.indexOf('://', end);
  }
  return done === 0 ? text : out + text.slice(done);
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
