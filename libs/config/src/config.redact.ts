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
  /^(token|key|secret|signature|sig|password|pass|auth|code|x-amz-signature|x-amz-credential)$/i;
/** Hosts whose webhook URLs carry the credential in the path: only the first segment stays. */
const SECRET_PATH_HOSTS =
  /^(hooks\.slack\.com|hooks\.slack-gov\.com|(?:discord|discordapp)\.com|[a-z0-9-]+\.webhook\.office\.com|outlook\.office\.com)$/i;
const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*@)?([^/?#\s]*)([^?#\s]*)(\?[^#\s]*)?(#\S*)?$/i;
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;

/** `a=1&token=x` with the values of credential-named parameters masked (`token=[redacted]`). */
export function maskCredentialParams(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* an undecodable name is judged as written */
      }
      return SECRET_PARAM.test(name) || isSecretLookingKey(name)
        ? `${pair.slice(0, eq)}=${REDACTED_VALUE}`
        : pair;
    })
    .join('&');
}

/**
 * A URL with its credentials masked, the rest kept so it can still be recognised: user info
 * (`postgres://[redacted]@db/mira`), credential-named query parameters (`?token=[redacted]`), and the
 * path of webhook URLs that are themselves the credential (`https://hooks.slack.com/services/[redacted]`).
 * A value that is not a URL comes back unchanged.
 */
export function maskCredentialUrl(url: string): string {
  const m = URL_PARTS.exec(url);
  if (!m) return url;
  const [, scheme, userinfo, host, path, query, fragment] = m;
  let outPath = path;
  if (SECRET_PATH_HOSTS.test(host.replace(/:\d+$/, ''))) {
    const first = /^\/(?:api\/)?[^/]*/.exec(path)?.[0] ?? '';
    if (path.length > first.length + 1) outPath = `${first}/${REDACTED_VALUE}`;
  }
  return (
    scheme +
    (userinfo ? `${REDACTED_VALUE}@` : '') +
    host +
    outPath +
    (query ? `?${maskCredentialParams(query.slice(1))}` : '') +
    (fragment ? `#${maskCredentialParams(fragment.slice(1))}` : '')
  );
}

/** Every `scheme://...` URL in a text (a log line, an error message) with its credentials masked. */
export function maskCredentialUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (url) => maskCredentialUrl(url));
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
