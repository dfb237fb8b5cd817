import { until } from './poll';

export interface SseEvent {
  id: string | null;
  event: string;
  data: any;
}

export interface SseStream {
  status: number;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** Comment lines (heartbeats). */
  comments: string[];
  /** True once the server ended the stream. */
  ended: boolean;
  /** The first event (from `from` on) matching `match`, waiting up to `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, from?: number): Promise<SseEvent>;
  close(): void;
}

/** A Server-Sent Events client over fetch: parses frames as they arrive (the browser's EventSource rules). */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const stream: SseStream = {
    status: res.status,
    events: [],
    comments: [],
    ended: false,
    next: (match, timeoutMs = 5000, from = 0) =>
      until(() => stream.events.slice(from).find(match), 'a matching stream event', timeoutMs),
    close: () => abort.abort(),
  };
  if (res.status !== 200 || !res.body) {
    stream.ended = true;
    await res.text().catch(() => undefined);
    return stream;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          parseFrame(buffer.slice(0, cut), stream);
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch {
      // aborted by close()
    }
    stream.ended = true;
  })();
  return stream;
}

function parseFrame(frame: string, stream: SseStream): void {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return;
  stream.events.push({ id, event, data: JSON.parse(data.join('\n')) });
}
