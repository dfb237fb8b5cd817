import { DeliveriesError } from './deliveries.error';
import type { HostGuard } from './delivery.host-guard';

const MAX_REDIRECTS = 3;

/**
 * POST a body with the SSRF guard applied to the URL and to every redirect (a redirect to another
 * host is refused, never followed). Throws DeliveriesError; `retryable` false for a 4xx other than 408/429.
 */
export async function guardedPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; guard: HostGuard; where: string },
): Promise<void> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    opts.guard.check(current, opts.where);
    let res: Response;
    try {
      res = await fetch(current, {
        method: 'POST',
        body,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${opts.timeoutMs} ms`
          : 'connection failed';
      throw new DeliveriesError('DELIVERY_SEND_FAILED', `${opts.where}: ${reason}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return;
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location)
        throw new DeliveriesError(
          'DELIVERY_SEND_FAILED',
          `${opts.where}: redirect without a location`,
          false,
        );
      const next = new URL(location, current);
      // Same host AND scheme: an https -> http hop would send the body (and signature) in clear.
      if (next.host !== new URL(current).host || next.protocol !== new URL(current).protocol)
        throw new DeliveriesError(
          'DELIVERY_HOST_REFUSED',
          `${opts.where}: redirect to another host or scheme (${next.protocol}//${next.hostname}) refused; configure the final URL instead`,
          false,
        );
      current = next.toString();
      continue;
    }
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new DeliveriesError(
      'DELIVERY_SEND_FAILED',
      `${opts.where}: the receiver answered ${res.status}`,
      retryable,
    );
  }
  throw new DeliveriesError(
    'DELIVERY_SEND_FAILED',
    `${opts.where}: more than ${MAX_REDIRECTS} redirects`,
    false,
  );
}
