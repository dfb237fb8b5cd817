import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: unknown };
export type Route = (req: SeenRequest) => Answer | null;

/**
 * A local HTTP server standing in for a tracker's API: records every request, and can be told to
 * fail the next call (a 502) or answer it late (past the client's timeout).
 */
export class FakeTracker {
  readonly requests: SeenRequest[] = [];
  private server!: Server;
  private faults: ({ status: number } | { delayMs: number })[] = [];
  url = '';

  constructor(private readonly route: Route) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  failNext(status = 502): void {
    this.faults.push({ status });
  }

  delayNext(delayMs: number): void {
    this.faults.push({ delayMs });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', this.url);
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(seen);
    const fault = this.faults.shift();
    if (fault && 'status' in fault) {
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
      return;
    }
    if (fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    const answer = this.route(seen) ?? { status: 404, body: { message: 'Not Found' } };
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(body);
  }
}
