import type { Server as HttpServer, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A stand-in server of the tests (Vault, Kubernetes, an OIDC provider, an OTLP receiver) listening. */
export interface LoopbackServer {
  readonly port: number;
  /** http(s)://127.0.0.1:<port> */
  readonly url: string;
  /** Cuts every open connection (keep-alives, watches): a crashed server, as its clients see it. */
  dropConnections(): void;
  /** Cuts every open connection, then stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, on `port` or (0) a free one the system picks, so no port can be raced for. */
export async function listenLoopback(server: HttpServer | HttpsServer, port = 0): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `${server instanceof HttpsServer ? 'https' : 'http'}://127.0.0.1:${bound}`,
    dropConnections: () => server.closeAllConnections(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers `body` as JSON with its length (no chunked encoding, as the real APIs answer). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
