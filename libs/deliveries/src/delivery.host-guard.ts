import { DeliveriesError } from './deliveries.error';

export interface DestinationLike {
  kind: string;
  url?: string | null;
}

/** Lower-case host[:port-less] of an http(s) URL; throws for other schemes or unparsable values. */
export function urlHost(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DeliveriesError(
      'DELIVERY_HOST_REFUSED',
      `${where}: the URL is not valid; write https://host/path`,
      false,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new DeliveriesError(
      'DELIVERY_HOST_REFUSED',
      // The scheme is not echoed: the URL may be a secret's value (`user:pass` read as a scheme).
      `${where}: only http and https URLs can be delivered to; write https://host/path`,
      false,
    );
  return parsed.hostname.toLowerCase();
}

/**
 * The SSRF guard: the hosts deliveries may reach. `allowed_hosts` when set (exact names, or
 * `*.example.com` for subdomains); otherwise only the hosts of the configured destinations.
 */
export class HostGuard {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(allowedHosts: readonly string[], destinations: Readonly<Record<string, DestinationLike>>) {
    const hosts = allowedHosts.length
      ? allowedHosts
      : Object.entries(destinations)
          .filter(([, d]) => d.url)
          .map(([name, d]) => urlHost(d.url as string, `deliveries.destinations.${name}.url`));
    for (const h of hosts.map((x) => x.trim().toLowerCase()).filter(Boolean)) {
      if (h.startsWith('*.')) this.suffixes.push(h.slice(1));
      else this.exact.add(h);
    }
  }

  allows(host: string): boolean {
    const h = host.toLowerCase();
    return this.exact.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  /** Throws when `url` may not be reached; `where` names the config key or destination. */
  check(url: string, where: string): void {
    const host = urlHost(url, where);
    if (!this.allows(host))
      throw new DeliveriesError(
        'DELIVERY_HOST_REFUSED',
        `${where}: host ${host} is not in deliveries.allowed_hosts; add it there (or remove the destination)`,
        false,
      );
  }

  /**
   * Every configured destination URL, checked: used at config load so a bad one refuses to start.
   * A `secret://` URL (a Slack or Teams webhook URL is itself the credential) is read only after
   * validation: its host can't be known here, so it needs an explicit `allowed_hosts`, and the
   * resolved URL is checked at each send like any other.
   */
  static validate(
    allowedHosts: readonly string[],
    destinations: Readonly<Record<string, DestinationLike>>,
  ): void {
    const literal: Record<string, DestinationLike> = {};
    for (const [name, d] of Object.entries(destinations)) {
      if (!isSecretUrl(d.url)) {
        literal[name] = d;
        continue;
      }
      if (allowedHosts.length === 0)
        throw new DeliveriesError(
          'DELIVERY_HOST_REFUSED',
          `deliveries.destinations.${name}.url is a secret:// reference, so its host is known only once it is read; list the hosts it may use in deliveries.allowed_hosts`,
          false,
        );
    }
    const guard = new HostGuard(allowedHosts, literal);
    for (const [name, d] of Object.entries(literal))
      if (d.url) guard.check(d.url, `deliveries.destinations.${name}.url`);
  }
}

/**
 * A `secret://name:key` reference, resolved after validation. Not @mira/secrets' isSecretReference:
 * this file loads with the config section, which the docs generator reads without the Nest modules.
 */
function isSecretUrl(url: string | null | undefined): boolean {
  return typeof url === 'string' && url.startsWith('secret://');
}
