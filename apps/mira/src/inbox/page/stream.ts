// Live updates from GET /api/v1/workflows/stream. Read with fetch, not EventSource: the session
// credential needs the CSRF header, which EventSource cannot send. Reconnects with Last-Event-ID.
import { state } from './api.js';

export interface StreamHandlers {
  event(type: string, data: { workflow_id?: string }): void;
  up(): void;
  down(): void;
  /** The server no longer knows the session (401): no point reconnecting. */
  ended(): void;
}

/** Follows the stream until the returned stop function is called (sign-out) or the session ends. */
export function follow(handlers: StreamHandlers): () => void {
  const stop = new AbortController();
  let lastId: string | null = null;
  const connect = async (): Promise<void> => {
    try {
      if (!state.session) return;
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        'x-csrf-token': state.session.csrf_token,
      };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetch('/api/v1/workflows/stream', {
        headers,
        credentials: 'same-origin',
        signal: stop.signal,
      });
      if (res.status === 401) return handlers.ended();
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      handlers.up();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let type = '';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('id: ')) lastId = line.slice(4);
            else if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (type && data) handlers.event(type, JSON.parse(data));
        }
      }
    } catch {
      // Down: polling covers until the next attempt succeeds.
    }
    if (stop.signal.aborted) return;
    handlers.down();
    if (state.session) window.setTimeout(() => void connect(), 3000);
  };
  void connect();
  return () => stop.abort();
}
