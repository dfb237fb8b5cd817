/** One event as sent on the stream: `id:`, `event:` and the JSON `data:` line. */
export interface StreamEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/**
 * The replica's recent events, bounded, so a client that reconnects with Last-Event-ID gets what
 * it missed. Ids are `<epoch>-<seq>`: the epoch changes with every start, so an id from another
 * replica (or from before a restart) is recognised as unknown instead of resuming at a wrong place.
 */
export class StreamRing {
  private readonly events: StreamEvent[] = [];
  private seq = 0;

  constructor(
    private readonly capacity: number,
    readonly epoch: string,
  ) {}

  push(event: string, data: Record<string, unknown>): StreamEvent {
    const entry = { id: `${this.epoch}-${++this.seq}`, event, data };
    this.events.push(entry);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    return entry;
  }

  /**
   * The events after `lastId`; null when they cannot be known (an id of another epoch, or one
   * older than the ring holds): the client must reload its list.
   */
  after(lastId: string): StreamEvent[] | null {
    const match = /^(.+)-(\d+)$/.exec(lastId);
    if (!match || match[1] !== this.epoch) return null;
    const seq = Number(match[2]);
    if (seq > this.seq) return null;
    const oldest = this.events[0] ? Number(this.events[0].id.slice(this.epoch.length + 1)) : this.seq + 1;
    if (seq < oldest - 1) return null;
    return this.events.filter((e) => Number(e.id.slice(this.epoch.length + 1)) > seq);
  }
}

/** The wire form of an event (one JSON line, so no data line can break the framing). */
export function formatEvent(e: StreamEvent): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
