/** Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Live suites (npm run test:live) run against real servers only when MIRA_TEST_LIVE=1. */
export const LIVE = process.env.MIRA_TEST_LIVE === '1';
