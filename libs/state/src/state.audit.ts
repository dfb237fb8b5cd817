import { createHash } from 'node:crypto';
import { AUDIT_GENESIS_HASH } from './state.constants';
import type { AuditEntry, AuditInput, AuditVerification } from './state.interface';
import { iso } from './state.rows';

/**
 * SHA-256 hex over a canonical JSON of the entry (fixed key order, prev_hash included), so editing
 * any field of an entry, or removing one, breaks the chain from there on.
 */
export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([
    ['seq', entry.seq],
    ['at', entry.at],
    ['actor', entry.actor],
    ['action', entry.action],
    ['workflow_id', entry.workflow_id],
    ['from_status', entry.from_status],
    ['to_status', entry.to_status],
    ['comment', entry.comment],
    ['correlation_id', entry.correlation_id],
    ['prev_hash', entry.prev_hash],
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The last link of the chain (null when empty). */
export interface ChainTail {
  seq: number;
  hash: string;
}

/**
 * Turns inputs into chained entries after `tail`. Backends call it inside their write transaction,
 * after serialising appends, so two writers never link to the same tail.
 */
export function chainEntries(tail: ChainTail | null, inputs: AuditInput[]): AuditEntry[] {
  let seq = tail?.seq ?? 0;
  let prev = tail?.hash ?? AUDIT_GENESIS_HASH;
  return inputs.map((input) => {
    const base: Omit<AuditEntry, 'hash'> = {
      seq: ++seq,
      at: iso(input.at)!,
      actor: input.actor,
      action: input.action,
      workflow_id: input.workflow_id ?? null,
      from_status: input.from_status ?? null,
      to_status: input.to_status ?? null,
      comment: input.comment ?? null,
      correlation_id: input.correlation_id ?? null,
      prev_hash: prev,
      actor_name: input.actor_name ?? null,
      details: input.details ?? null,
    };
    const entry = { ...base, hash: auditHash(base) };
    prev = entry.hash;
    return entry;
  });
}

/**
 * Walks the chain page by page (seq asc) and stops at the first entry whose seq is not the next
 * one (a deleted entry), whose prev_hash is not the previous hash, or whose hash does not match
 * its content. Then the end of the chain must be `head`, the last link the store recorded in the
 * same transaction as the entry: otherwise entries were cut off the end, and the first missing
 * seq is reported. The store only reads: it has no path that updates or deletes audit rows.
 */
export async function verifyChain(
  readAfter: (afterSeq: number, limit: number) => Promise<AuditEntry[]>,
  head: ChainTail | null = null,
  batch = 500,
): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prev = AUDIT_GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const page = await readAfter(expectedSeq - 1, batch);
    for (const e of page) {
      entries++;
      const { hash, ...rest } = e;
      if (e.seq !== expectedSeq || e.prev_hash !== prev || auditHash(rest) !== hash)
        return { ok: false, entries, first_bad_seq: e.seq };
      prev = hash;
      expectedSeq++;
    }
    if (page.length < batch) break;
  }
  if (head && (head.seq !== expectedSeq - 1 || head.hash !== prev))
    return { ok: false, entries, first_bad_seq: expectedSeq };
  return { ok: true, entries };
}
