import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import {
  ApprovalService,
  OUTCOME_EVENTS,
  PENDING_APPROVAL_EVENT,
  WORKFLOW_COMPLETED_EVENT,
  WORKFLOW_DECIDED_EVENT,
  WORKFLOW_FAILED_EVENT,
  workflowSummary,
} from '@mira/agents';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker, type Subscription } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { SHUTDOWN_PRIORITY, ShutdownHook, type OnShutdown } from '@mira/shutdown';
import type { WorkflowRecord } from '@mira/state';
import { CredentialRevocations } from '../security';
import { formatEvent, StreamRing, type StreamEvent } from './workflow-stream.ring';

/** Which records a client sees: the list's filters, and (for a submitter only) their own requests. */
export interface StreamFilter {
  status?: string;
  type?: string;
  requestedBy?: string;
}

/** Whether the credential a stream was opened with still grants it (checked again over time). */
export type StreamRecheck = () => Promise<boolean>;

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
  /** The caller's stable id, for the per-caller cap. */
  owner: string;
  recheck?: StreamRecheck;
}

/** One caller may hold this many streams on a replica, so one client cannot take every slot. */
export const MAX_STREAMS_PER_CALLER = 5;

/** Broker events -> the status a workflow left (null: it is new). */
const SOURCES: Record<string, string | null> = {
  [PENDING_APPROVAL_EVENT]: null,
  [WORKFLOW_DECIDED_EVENT]: 'pending_approval',
  ...Object.fromEntries(Object.values(OUTCOME_EVENTS).map((e) => [e, 'pending_approval'])),
  [WORKFLOW_COMPLETED_EVENT]: 'running',
  [WORKFLOW_FAILED_EVENT]: 'running',
};
const DECISIONS = new Set([WORKFLOW_DECIDED_EVENT, 'workflow.approved', 'workflow.rejected']);
/** A client this far behind (bytes not yet sent) is dropped rather than buffered without bound. */
const MAX_BACKLOG = 1 << 20;

/**
 * GET /api/v1/workflows/stream's engine: every replica subscribes to the workflow events on the
 * broker (fan-out: each replica gets each event), reads the record once per event, keeps the
 * result in a bounded ring for Last-Event-ID, and writes it to its own matching clients.
 */
@Injectable()
// After the drain delay (clients keep their updates while load balancers move traffic away) and
// before the HTTP server waits for in-flight requests, which an open stream would otherwise hold.
@ShutdownHook({ name: 'workflow-stream', priority: SHUTDOWN_PRIORITY.DRAIN_DELAY })
export class WorkflowStreamHub implements OnApplicationBootstrap, OnShutdown {
  private readonly logger = new Logger('WorkflowStream');
  private readonly clients = new Set<Client>();
  private ring = new StreamRing(1, 'x');
  private subscription: Subscription | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  private rechecking: Promise<void> | null = null;
  private recheckAgain = false;
  private readonly unwatch: (() => void)[] = [];

  constructor(
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly approvals: ApprovalService,
    private readonly config: ConfigStore,
    @Optional() private readonly revocations: CredentialRevocations | null = null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.settings();
    this.ring = new StreamRing(settings.replay_events, randomBytes(6).toString('base64url'));
    this.subscription = await this.broker.subscribe(Object.keys(SOURCES), (m) => this.onEvent(m));
    // Every heartbeat also checks each stream's credential again (a session revoked on another
    // replica, roles removed at the provider, a token expired): a stream lives no longer than it.
    this.heartbeat = setInterval(() => {
      this.beat();
      void this.recheckAll();
    }, settings.heartbeat_seconds * 1000);
    this.heartbeat.unref();
    // At once: API keys or OIDC settings reloaded, a sign-out or role loss on this replica. After
    // the other listeners of the change (the key service) have applied it.
    const soon = () => setImmediate(() => void this.recheckAll());
    this.unwatch.push(this.config.onChange(soon, 'api'), this.config.onChange(soon, 'auth'));
    if (this.revocations) this.unwatch.push(this.revocations.onRevoked(soon));
  }

  /**
   * Closes every stream whose credential no longer grants it (`event: stream.closed`). One pass at
   * a time; a request for another while one runs runs once more after it.
   */
  recheckAll(): Promise<void> {
    if (this.rechecking) {
      this.recheckAgain = true;
      return this.rechecking;
    }
    this.rechecking = (async () => {
      do {
        this.recheckAgain = false;
        await Promise.all([...this.clients].map((c) => this.recheckOne(c)));
      } while (this.recheckAgain && !this.closed);
    })().finally(() => (this.rechecking = null));
    return this.rechecking;
  }

  private async recheckOne(client: Client): Promise<void> {
    if (!client.recheck) return;
    // Fails closed: a check that throws (a refused token, a store error) ends the stream too.
    const ok = await client.recheck().catch(() => false);
    if (ok || !this.clients.has(client)) return;
    this.clients.delete(client);
    client.res.write(`event: stream.closed\ndata: {"reason":"credential_revoked"}\n\n`);
    client.res.end();
  }

  /** Shutdown closes every stream first, so clients reconnect to a replica that stays. */
  async onShutdown(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unwatch.splice(0).forEach((fn) => fn());
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    await this.subscription?.unsubscribe().catch(() => undefined);
  }

  /** False when the replica already serves api.stream.max_clients streams (or is shutting down). */
  hasRoom(): boolean {
    return !this.closed && this.clients.size < this.settings().max_clients;
  }

  /** False when `owner` already holds MAX_STREAMS_PER_CALLER streams on this replica. */
  hasRoomFor(owner: string): boolean {
    let held = 0;
    for (const client of this.clients) if (client.owner === owner) held++;
    return held < MAX_STREAMS_PER_CALLER;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Starts a stream on `res`: headers, what was missed since `lastEventId`, then live events. */
  open(
    res: ServerResponse,
    owner: string,
    filter: StreamFilter,
    lastEventId: string | undefined,
    recheck?: StreamRecheck,
  ): void {
    const client: Client = { res, filter, owner, recheck };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.write(`retry: 2000\n\n`);
    if (lastEventId) {
      const missed = this.ring.after(lastEventId);
      // Unknown position (another replica, a restart, too old): the client reloads its list.
      if (missed === null) res.write(`event: stream.reset\ndata: {}\n\n`);
      else for (const e of missed) if (matches(filter, e)) res.write(formatEvent(e));
    }
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
  }

  private async onEvent(message: BrokerMessage): Promise<void> {
    const data = (message.data ?? {}) as Record<string, unknown>;
    const id = typeof data.workflow_id === 'string' ? data.workflow_id : null;
    if (!id || !(message.type in SOURCES)) return;
    let record: WorkflowRecord;
    try {
      record = await this.approvals.get(id);
    } catch (err) {
      this.logger.warn(`Workflow ${id} of ${message.type} could not be read: ${(err as Error).message}`);
      return;
    }
    const from = SOURCES[message.type];
    const workflow = workflowSummary(record);
    const base = { workflow_id: id, from_status: from, workflow };
    if (from === null) this.send(this.ring.push('workflow.created', base));
    else {
      if (DECISIONS.has(message.type))
        this.send(this.ring.push('workflow.decided', { ...base, decision: record.decisions.at(-1) ?? null }));
      this.send(this.ring.push('workflow.updated', base));
    }
  }

  private send(event: StreamEvent): void {
    const frame = formatEvent(event);
    for (const client of this.clients) if (matches(client.filter, event)) this.write(client, frame);
  }

  private beat(): void {
    for (const client of this.clients) this.write(client, `: heartbeat ${new Date().toISOString()}\n\n`);
  }

  private write(client: Client, frame: string): void {
    if (client.res.writableLength > MAX_BACKLOG) {
      this.logger.warn('A workflow stream client fell too far behind: closing its stream');
      this.clients.delete(client);
      client.res.destroy();
      return;
    }
    client.res.write(frame);
  }

  private settings() {
    return this.config.get('api').stream;
  }
}

function matches(filter: StreamFilter, event: StreamEvent): boolean {
  const w = event.data.workflow as { workflow_type: string; status: string; requested_by: string };
  if (filter.type && w.workflow_type !== filter.type) return false;
  if (filter.requestedBy && w.requested_by !== filter.requestedBy) return false;
  // A status filter also sees a workflow leave that status, so a filtered list can drop it.
  return !filter.status || w.status === filter.status || event.data.from_status === filter.status;
}
