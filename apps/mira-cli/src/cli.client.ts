import { CliError, EXIT } from './cli.error';

export interface ClientOptions {
  url: string;
  key?: string;
  timeoutMs?: number;
}

/**
 * The service's HTTP API as the CLI sees it: one generic call, so a command file (workflows,
 * schedules, backup...) only names a method and a path. Errors become CliErrors with the exit
 * code of their class and the service's own message.
 */
export class MiraClient {
  constructor(private readonly options: ClientOptions) {}

  /**
   * Opens a server-sent event stream: the response, or null when the service has no such route
   * (404), so the caller can fall back to polling. Other failures are CliErrors as for call().
   */
  async stream(path: string, signal?: AbortSignal): Promise<Response | null> {
    const url = this.url(path);
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.options.key) headers['x-api-key'] = this.options.key;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal });
    } catch (err) {
      throw this.unreachable(err);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
    const text = await res.text();
    throw httpError(res.ok ? 406 : res.status, 'GET', url.pathname, text);
  }

  private url(path: string): URL {
    return new URL(path, this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`);
  }

  private unreachable(err: unknown): CliError {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return new CliError(
      `cannot reach Mira at ${this.options.url} (${cause}); is it running? Set MIRA_URL or --url`,
      EXIT.unreachable,
    );
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.url(path);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.key) headers['x-api-key'] = this.options.key;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15000),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.ok) return parsed as T;
    throw httpError(res.status, method, url.pathname, parsed);
  }
}

function httpError(status: number, method: string, path: string, body: unknown): CliError {
  const detail =
    body && typeof body === 'object' && 'message' in body
      ? [(body as { message: unknown }).message].flat().join('; ')
      : String(body || '').slice(0, 200);
  const what = `${method} ${path}: ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 401)
    return new CliError(`${what}\nnot authenticated: set MIRA_API_KEY or pass --key`, EXIT.denied);
  if (status === 403)
    return new CliError(
      `${what}\nforbidden: this key lacks the role for it (see api.keys roles)`,
      EXIT.denied,
    );
  if (status === 404) return new CliError(what, EXIT.notFound);
  if (status >= 500) return new CliError(what, EXIT.serverError);
  return new CliError(what, EXIT.refused);
}
