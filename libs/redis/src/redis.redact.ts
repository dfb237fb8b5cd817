/** The URL without credentials, for logs, errors and /healthz. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? '***' : '';
      u.password = u.password ? '***' : '';
    }
    return u.toString();
  } catch {
    // An unparseable URL may still hold a password: never echo it.
    return '<unparseable redis url>';
  }
}

/**
 * `text` with the URL redacted and its password replaced wherever it appears (raw or
 * percent-decoded): ioredis and server messages may quote what they were given.
 */
export function redactRedisText(text: string, url: string | null | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(redactRedisUrl(url));
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return out;
  }
  for (const secret of new Set([password, safeDecode(password)])) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
