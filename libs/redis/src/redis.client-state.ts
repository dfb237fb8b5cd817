import type { Redis } from 'ioredis';

/**
 * Resolves once `client` is ready (connecting a lazy one first). Rejects after `timeoutMs`, or as
 * soon as the client ends with `failOnEnd`, with its last connection error (else its status) as
 * the message: unredacted, callers that show it mask the URL's credentials.
 */
export async function whenRedisReady(
  client: Redis,
  timeoutMs: number,
  options: { failOnEnd?: boolean } = {},
): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') return void (await client.connect());
  let lastError: string | null = null;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => (lastError = err.message);
    const done = (failed: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
      if (failed) reject(new Error(lastError ?? `connection ${client.status}`));
      else resolve();
    };
    const onReady = () => done(false);
    const onEnd = () => done(true);
    const timer = setTimeout(() => done(true), timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
    if (options.failOnEnd) client.on('end', onEnd);
  });
}

/** Resolves once the socket is closed (bounded: a half-dead connection is cut after 1 s). */
export async function quitRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve) => {
    client.once('end', resolve);
    timer = setTimeout(() => {
      client.disconnect();
      resolve();
    }, 1000);
  });
  if (client.status !== 'ready')
    client.disconnect(); // also ends a reconnect loop
  else await client.quit().catch(() => client.disconnect());
  await ended;
  clearTimeout(timer);
}
