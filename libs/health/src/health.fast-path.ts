import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { HEALTH_PATH } from './health.constants';
import type { ProbeName } from './health.interface';
import type { HealthProbes } from './health.probes';

/** The paths served; a Map, so `/__proto__` and friends are never mistaken for a probe. */
const PROBE_PATHS = new Map<string, ProbeName>([
  [HEALTH_PATH, 'full'],
  [`${HEALTH_PATH}/live`, 'live'],
  [`${HEALTH_PATH}/ready`, 'ready'],
  [`${HEALTH_PATH}/startup`, 'startup'],
]);

const FAILED_BODY = JSON.stringify({ status: 'error', error: 'health check failed; see the service log' });

export interface HealthFastPathOptions {
  /** Headers every answer carries besides content type, length and `cache-control: no-store` (e.g. security headers). */
  headers?: Readonly<Record<string, string>>;
  /** Echoes a request id (e.g. the validated correlation id) in this response header. */
  requestId?: { header: string; of(req: IncomingMessage): string };
  /** Requests left to the framework even on a health path (e.g. CORS requests, which it answers). */
  passThrough?: (req: IncomingMessage) => boolean;
}

/**
 * Answers `GET`/`HEAD` on the health endpoints on the Node HTTP server itself, before the web
 * framework sees the request; everything else goes on to the framework untouched.
 *
 * Why: a probe has to answer whatever the API pipeline is doing, so it should not pass
 * through what only the API needs (rate limits, API keys, body parsing, access logging,
 * request metrics), and kubelet probes every pod every few seconds, so its cost adds up on
 * busy nodes. The answers are HealthProbes' (the controller serves the same ones), and the
 * server's own behaviour is kept: keep-alive and timeouts, and `Connection: close` set by the
 * shutdown drain before this listener runs. Until `attach()` every request goes to the framework.
 *
 * Measured (server CPU per probe, fast path on vs. off, same run): 33 vs 61 us on /healthz/live,
 * 52 vs 73 us on /healthz. Answers are serialised each time: caching the last answer and its
 * JSON saved 2-5 us per probe in the same run, nothing at kubelet's few probes a second.
 */
export class HealthFastPath {
  private readonly logger = new Logger('Health');
  private probes: HealthProbes | null = null;
  private fixed: string[] = [];
  private requestId: HealthFastPathOptions['requestId'];
  private passThrough: HealthFastPathOptions['passThrough'];

  /** Starts serving probes with `probes`' answers. */
  attach(probes: HealthProbes, options: HealthFastPathOptions = {}): void {
    const fixed = ['cache-control', 'no-store'];
    for (const [name, value] of Object.entries(options.headers ?? {})) fixed.push(name, value);
    this.fixed = fixed;
    this.requestId = options.requestId;
    this.passThrough = options.passThrough;
    this.probes = probes;
  }

  /** Hands every request to the framework again (e.g. when the application closes). */
  detach(): void {
    this.probes = null;
  }

  get attached(): boolean {
    return this.probes !== null;
  }

  /** The server's request listener: probes are answered here, the rest by `next`. */
  wrap(next: RequestListener): RequestListener {
    return (req, res) => {
      if (!this.handle(req, res)) next(req, res);
    };
  }

  /** Answers `req` when it is a probe (returns true), else leaves it alone (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const probes = this.probes;
    if (probes === null) return false;
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const probe = PROBE_PATHS.get(q < 0 ? url : url.slice(0, q));
    if (probe === undefined || this.passThrough?.(req)) return false;
    probes.answer(probe).then(
      (a) => this.send(req, res, a.statusCode, JSON.stringify(a.body)),
      (err: unknown) => {
        // Health results are values; an exception here is a bug in an indicator wrapper, so
        // the probe fails (503) rather than hanging. The reason goes to the log only: probes
        // are unauthenticated.
        const reason = err instanceof Error ? err.message : String(err);
        this.logger.error(
          `Health endpoint ${url} failed: ${reason}`,
          err instanceof Error ? err.stack : undefined,
        );
        this.send(req, res, 503, FAILED_BODY);
      },
    );
    return true;
  }

  private send(req: IncomingMessage, res: ServerResponse, statusCode: number, text: string): void {
    if (res.headersSent || res.destroyed) return;
    const headers = [
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(text)),
      ...this.fixed,
    ];
    const id = this.requestId;
    if (id) headers.push(id.header, id.of(req));
    res.writeHead(statusCode, headers);
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}
