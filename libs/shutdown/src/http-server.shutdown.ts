import type { Server, ServerResponse, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SHUTDOWN_PRIORITY } from './shutdown.constants';
import { ShutdownHook } from './shutdown.decorator';
import type { OnShutdown, ShutdownContext } from './shutdown.interface';
import { ShutdownService } from './shutdown.service';

/** Node sets this on a socket while it carries a response (stable since Node 0.x, not documented). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * The HTTP side of the drain, on the Node server underneath any Nest HTTP adapter:
 * from the first moment of shutdown every response carries `Connection: close` (clients
 * reconnect, and the load balancer sends the new connection elsewhere); at its step the
 * server stops accepting, idle keep-alive sockets are closed and in-flight requests finish.
 */
@Injectable()
@ShutdownHook({ name: 'http-server', priority: SHUTDOWN_PRIORITY.HTTP_SERVER })
export class HttpServerShutdownHook implements OnApplicationBootstrap, OnShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly sockets = new Set<HttpSocket>();
  private server: Server | null = null;

  constructor(
    private readonly shutdown: ShutdownService,
    @Optional() private readonly host?: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.host?.httpAdapter?.getHttpServer?.() as Server | undefined;
    if (!server || typeof server.on !== 'function') return;
    this.server = server;
    // Per connection, not per request: keeps the steady-state cost off the request path.
    server.on('connection', (socket: HttpSocket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.shutdown.onStart(() => this.markDraining());
  }

  async onShutdown(context: ShutdownContext): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const inFlight = this.inFlight();
    this.logger.log(`Closing the HTTP server: no new connections; ${inFlight} request(s) in flight`);
    await new Promise<void>((resolve) => {
      // Connections that turn idle later (a response that had started before the drain) are
      // reaped on each tick; they answered without keep-alive promises they must honour.
      const reaper = setInterval(() => server.closeIdleConnections?.(), 100);
      const abort = () => {
        // Cut: whatever still runs is abandoned so the process can exit.
        server.closeAllConnections?.();
      };
      context.signal.addEventListener('abort', abort, { once: true });
      server.close(() => {
        clearInterval(reaper);
        context.signal.removeEventListener('abort', abort);
        resolve();
      });
      server.closeIdleConnections?.();
    });
    this.logger.log('HTTP server closed; every in-flight request finished');
  }

  private markDraining(): void {
    const server = this.server;
    if (!server) return;
    // Requests from now on: added first so the header is set before any handler answers.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    // Requests already in flight: their response has not been written yet.
    for (const socket of this.sockets) {
      const res = socket._httpMessage;
      if (res && !res.headersSent) res.setHeader('Connection', 'close');
    }
  }

  private inFlight(): number {
    let n = 0;
    for (const socket of this.sockets) if (socket._httpMessage) n++;
    return n;
  }
}
