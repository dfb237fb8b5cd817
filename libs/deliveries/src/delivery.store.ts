import { createHash } from 'node:crypto';
import { StateError, type SqlRunner, type StateSql } from '@mira/state';
import type { DeliveryMessage } from './delivery.interface';

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'dead';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'delivered', 'dead'];

export interface DeliveryRow {
  id: string;
  destination: string;
  kind: string;
  source: string;
  message: DeliveryMessage;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface NewDelivery {
  destination: string;
  kind: string;
  /** What the delivery carries, e.g. `schedule_run:<id>`: one row per (source, destination). */
  source: string;
  type: string;
  title: string;
  data: unknown;
}

/** The webhook-id: the same for the same (source, destination), so a duplicate enqueue is one row. */
export function deliveryId(source: string, destination: string): string {
  return 'msg_' + createHash('sha256').update(`${source}\n${destination}`).digest('hex').slice(0, 26);
}

const isDuplicate = (err: unknown): boolean => err instanceof StateError && err.code === 'STATE_DUPLICATE';

type Raw = Record<string, unknown>;
function toRow(r: Raw): DeliveryRow {
  return {
    id: String(r.id),
    destination: String(r.destination),
    kind: String(r.kind),
    source: String(r.source),
    message: JSON.parse(String(r.message)) as DeliveryMessage,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    next_attempt_at: String(r.next_attempt_at),
    last_error: (r.last_error as string | null) ?? null,
    created_at: String(r.created_at),
    updated_at: String(r.updated_at),
    delivered_at: (r.delivered_at as string | null) ?? null,
  };
}

/** The outbox rows (SQL on both backends): written beside a result, claimed by any replica with a conditional UPDATE. */
export class DeliveryStore {
  constructor(private readonly sql: () => StateSql) {}

  /**
   * Writes outbox rows with `runner` (pass a transaction to commit them with the result they carry).
   * A row already there for the same (source, destination) is left as it is.
   */
  async enqueue(runner: SqlRunner, items: readonly NewDelivery[], now: Date): Promise<string[]> {
    const ids: string[] = [];
    const at = now.toISOString();
    for (const item of items) {
      const id = deliveryId(item.source, item.destination);
      const message: DeliveryMessage = {
        id,
        type: item.type,
        title: item.title,
        occurred_at: at,
        data: item.data,
      };
      // ON CONFLICT DO NOTHING: both dialects; keeps a surrounding transaction usable on postgres.
      await runner.execute(
        `INSERT INTO deliveries (id, destination, kind, source, message, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) ON CONFLICT (id) DO NOTHING`,
        [id, item.destination, item.kind, item.source, JSON.stringify(message), at],
      );
      ids.push(id);
    }
    return ids;
  }

  /** Claims up to `limit` due rows for `owner`: pending and due, or sending with a lapsed lease (a dead replica's). */
  async claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    const at = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const candidates = await this.sql().query<Raw>(
      `SELECT id FROM deliveries
        WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)
        ORDER BY next_attempt_at LIMIT $2`,
      [at, limit],
    );
    const claimed: DeliveryRow[] = [];
    for (const { id } of candidates) {
      const { changes } = await this.sql().execute(
        `UPDATE deliveries SET status = 'sending', claimed_by = $2, lease_until = $3, updated_at = $1
          WHERE id = $4 AND ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1))`,
        [at, owner, until, id],
      );
      if (changes === 1) {
        const [row] = await this.sql().query<Raw>('SELECT * FROM deliveries WHERE id = $1', [id]);
        if (row) claimed.push(toRow(row));
      }
    }
    return claimed;
  }

  /** Marks a claimed row delivered (only while still held by `owner`). */
  async delivered(id: string, owner: string, now: Date): Promise<boolean> {
    const { changes } = await this.sql().execute(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, updated_at = $1,
              claimed_by = NULL, lease_until = NULL, last_error = NULL
        WHERE id = $2 AND status = 'sending' AND claimed_by = $3`,
      [now.toISOString(), id, owner],
    );
    return changes === 1;
  }

  /** Records a failed attempt: back to pending at `nextAttemptAt`, or dead. */
  async failed(
    id: string,
    owner: string,
    now: Date,
    error: string,
    next: Date | null,
  ): Promise<DeliveryStatus> {
    const status: DeliveryStatus = next ? 'pending' : 'dead';
    await this.sql().execute(
      `UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
              updated_at = $4, claimed_by = NULL, lease_until = NULL
        WHERE id = $5 AND status = 'sending' AND claimed_by = $6`,
      [status, (next ?? now).toISOString(), error.slice(0, 500), now.toISOString(), id, owner],
    );
    return status;
  }

  /** A dead row back to pending with a fresh attempt budget (an admin's retry); false if not dead. */
  async retry(id: string, now: Date): Promise<boolean> {
    const { changes } = await this.sql().execute(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1
        WHERE id = $2 AND status = 'dead'`,
      [now.toISOString(), id],
    );
    return changes === 1;
  }

  async get(id: string): Promise<DeliveryRow | null> {
    const [row] = await this.sql().query<Raw>('SELECT * FROM deliveries WHERE id = $1', [id]);
    return row ? toRow(row) : null;
  }

  async list(filter: { status?: DeliveryStatus; source?: string; limit: number }): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.source) where.push(`source = $${params.push(filter.source)}`);
    const rows = await this.sql().query<Raw>(
      `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map(toRow);
  }

  /** Rows not yet delivered nor dead (the mira_deliveries_pending gauge). */
  async pendingCount(): Promise<number> {
    const [row] = await this.sql().query<Raw>(
      `SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'sending')`,
    );
    return Number(row?.n ?? 0);
  }
}

export { isDuplicate };
