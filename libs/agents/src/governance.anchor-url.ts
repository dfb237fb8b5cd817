/**
 * The rule for governance.audit.anchor_webhook, applied at config load (start and reload: a bad URL
 * is refused like any bad config) and again before each post. Same SSRF stance as libs/deliveries:
 * http(s) only, no credentials in the URL, and when `anchor_allowed_hosts` is set the host must be
 * one of them (exact, or `*.example.com` for subdomains). In production the head goes over https.
 * Returns what is wrong (never the URL itself, which may carry a token), or null when it is fine.
 */
export function anchorWebhookProblem(
  url: string,
  allowedHosts: readonly string[],
  production: boolean,
): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL; write https://host/path';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return `must be an http(s) URL (got ${parsed.protocol})`;
  if (parsed.username || parsed.password)
    return 'must not carry credentials (user:password@); the receiver checks the signature instead';
  if (production && parsed.protocol !== 'https:') return 'must be https when NODE_ENV=production';
  const host = parsed.hostname.toLowerCase();
  const allowed = allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (allowed.length && !allowed.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h)))
    return `host ${host} is not in governance.audit.anchor_allowed_hosts; add it there`;
  return null;
}

/** NODE_ENV=production in `env`: the config loader's environment, never process.env directly. */
export const isProduction = (env: NodeJS.ProcessEnv) => env.NODE_ENV?.trim().toLowerCase() === 'production';
