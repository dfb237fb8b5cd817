import { Injectable } from '@nestjs/common';

/**
 * Time for connectors: "now" and "wait until". Injectable so a test can answer a rate-limit reset
 * an hour away without waiting an hour (and still see that the wait was asked for).
 */
@Injectable()
export class Sleeper {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
