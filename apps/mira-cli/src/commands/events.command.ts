import type { CliCommand, CliContext } from '../cli.command';
import type { MiraClient } from '../cli.client';

/** The service's workflow event stream, when it has one (server-sent events). */
const STREAM_PATH = 'api/v1/workflows/stream';

export interface TailEvent {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

interface TailOptions {
  type?: string[];
  count?: string;
  interval?: string;
  poll?: boolean;
}

/**
 * `mira events tail [--type <t>...]`: workflow events as they happen. Reads the service's SSE
 * stream (GET /api/v1/workflows/stream) when it exists; otherwise polls GET /api/v1/workflows and
 * reports each workflow that appears (`workflow.created`) or changes status
 * (`workflow.<status>`, e.g. `workflow.approved`). `--type` keeps the events whose type equals or
 * starts with one of the given values.
 */
export const eventsCommand: CliCommand = {
  register(program, ctx) {
    const events = program.command('events').description('workflow events');
    events
      .command('tail')
      .description('print workflow events as they happen (SSE stream, else polling); Ctrl-C to stop')
      .option('-t, --type <type...>', 'only these event types (or prefixes), e.g. workflow.approved')
      .option('-n, --count <n>', 'exit after n events')
      .option('--interval <ms>', 'polling interval when the service has no stream', '1000')
      .option('--poll', 'poll even when the service has a stream')
      .action((o: TailOptions) => tail(ctx, o));
  },
};

async function tail(ctx: CliContext, o: TailOptions): Promise<void> {
  const client = ctx.client();
  const max = o.count ? Number(o.count) : Infinity;
  const stop = new AbortController();
  let seen = 0;
  const emit = (event: TailEvent) => {
    if (o.type && !o.type.some((t) => event.type === t || event.type.startsWith(`${t}.`))) return;
    ctx.write(
      ctx.output() === 'json'
        ? `${JSON.stringify(event)}\n`
        : `${event.at}  ${event.type.padEnd(28)} ${summary(event.data)}\n`,
    );
    if (++seen >= max) stop.abort();
  };
  const stream = o.poll ? null : await client.stream(STREAM_PATH, stop.signal);
  if (stream) await readSse(stream, emit, stop.signal);
  else await poll(client, Number(o.interval ?? 1000), emit, stop.signal);
}

function summary(data: Record<string, unknown>): string {
  const keys = ['workflow_id', 'workflow_type', 'status', 'risk_level'];
  return keys
    .filter((k) => data[k] !== undefined && data[k] !== null)
    .map((k) => `${k}=${String(data[k])}`)
    .join(' ');
}

/** Server-sent events: `event:` names the type (default `message`), `data:` lines carry JSON. */
async function readSse(res: Response, emit: (e: TailEvent) => void, signal: AbortSignal): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length === 0) continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
        } catch {
          parsed = { text: data.join('\n') };
        }
        emit({ type: String(parsed.type ?? type), at: new Date().toISOString(), data: parsed });
        if (signal.aborted) return;
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

type Summary = Record<string, unknown> & { workflow_id: string; status: string };

/** Polls the newest workflows; the first page read is the baseline, not reported. */
async function poll(
  client: MiraClient,
  intervalMs: number,
  emit: (e: TailEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const status = new Map<string, string>();
  let baseline = true;
  while (!signal.aborted) {
    const page = await client.call<{ items: Summary[] }>('GET', 'api/v1/workflows?limit=100');
    // Oldest first, so events come out in the order they happened.
    for (const w of [...page.items].reverse()) {
      const before = status.get(w.workflow_id);
      status.set(w.workflow_id, w.status);
      if (baseline || before === w.status) continue;
      const at = new Date().toISOString();
      if (before === undefined) emit({ type: 'workflow.created', at, data: w });
      if (signal.aborted) return;
      emit({ type: `workflow.${w.status}`, at, data: w });
      if (signal.aborted) return;
    }
    if (baseline)
      process.stderr.write(
        `mira: the service has no event stream; polling GET /api/v1/workflows every ${intervalMs} ms\n`,
      );
    baseline = false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
