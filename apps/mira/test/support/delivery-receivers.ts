import { createServer, type IncomingMessage } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { listenLoopback, type LoopbackServer } from './loopback-server';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Standard Webhooks verification with the receiver's secret: true, false, or null (no secret given). */
  verified: boolean | null;
}

export interface HttpReceiver extends LoopbackServer {
  readonly requests: ReceivedRequest[];
  /** Status codes to answer, in order; once used up, 200. */
  answers: number[];
}

/** A local HTTP endpoint that records each POST and, given a whsec_ secret, verifies its Standard Webhooks signature. */
export async function startHttpReceiver(
  secret?: string,
  route?: (req: ReceivedRequest) => { status: number; headers?: Record<string, string> } | undefined,
): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const verifier = secret ? new Webhook(secret) : null;
  const state: { answers: number[] } = { answers: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified: boolean | null = null;
      if (verifier) {
        try {
          verifier.verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
      }
      const got = { path: req.url ?? '/', headers: req.headers, body, verified };
      requests.push(got);
      const custom = route?.(got);
      const status = custom?.status ?? state.answers.shift() ?? 200;
      res.writeHead(status, custom?.headers ?? {});
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  const base = await listenLoopback(server);
  const receiver: HttpReceiver = { ...base, requests, answers: [] };
  // The handler reads the receiver's own list, so a test can assign `answers` at any time.
  Object.defineProperty(state, 'answers', { get: () => receiver.answers });
  return receiver;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A local SMTP server (smtp-server) on a free port that keeps every message it receives. */
export async function startSmtpReceiver(): Promise<{
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
