import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { auditKeyCheck, vouchRows, type AuditKeyring } from '../state.audit-keys';
import {
  HEAD_MAC_CHAIN,
  KEY_CHECK_CHAIN,
  LEGACY_SEAL_CHAIN,
  headMac,
  headOf,
  seqMac,
  legacySeal,
  linkEntries,
  verifyChain,
  type ChainHead,
} from '../state.audit';
import type { AuditHead, AuditInput, AuditVerification } from '../state.interface';
import { AUDIT_COLUMNS, encodeColumn, toAuditEntry } from '../state.rows';

const toHead = (r: Record<string, unknown>): ChainHead => ({
  chain: String(r.chain),
  chain_seq: Number(r.chain_seq),
  seq: Number(r.seq),
  first_seq: Number(r.first_seq),
  link: String(r.link),
  key_id: (r.key_id as string | null) ?? null,
});

/**
 * The audit writes of the sqlite store: the same keyed per-workflow chains as postgres, inside the
 * store's write transaction (BEGIN IMMEDIATE already serialises writers). Seqs come from the '#seq'
 * row so a seq is never handed out twice.
 */
export class SqliteAudit {
  private readonly ready = new Set<string>();

  constructor(private readonly keys: () => AuditKeyring) {}

  /** Once per key id: its check value and the legacy chain's seal (idempotent; inside the tx). */
  private prepare(db: DatabaseSync, keys: AuditKeyring): void {
    const { id, key } = keys.current;
    const ready = keys.all.map((k) => k.id).join(',');
    if (this.ready.has(ready)) return;
    const insert = db.prepare(
      `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
       VALUES (?, 0, ?, 0, ?, ?) ON CONFLICT (chain) DO NOTHING`,
    );
    insert.run(KEY_CHECK_CHAIN(id), 0, auditKeyCheck(key), id);
    const vouches = db
      .prepare(`SELECT chain, link, seq FROM audit_chains WHERE chain LIKE '#vouch:%'`)
      .all() as { chain: string; link: string; seq: number }[];
    const since = db.prepare("SELECT seq FROM audit_chains WHERE chain = '#seq'").get() as
      { seq: number } | undefined;
    for (const v of vouchRows(keys, vouches, Number(since?.seq ?? 0)))
      insert.run(v.chain, v.seq, v.link, v.key_id);
    const legacy = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
      { seq: number; hash: string } | undefined;
    if (legacy)
      insert.run(
        LEGACY_SEAL_CHAIN,
        legacy.seq,
        legacySeal(key, { seq: Number(legacy.seq), hash: legacy.hash }),
        id,
      );
    this.ready.add(ready);
  }

  /** Appends `audit` to the chain of workflow `chain`; the caller holds the write transaction. */
  append(db: DatabaseSync, chain: string, audit: AuditInput[]): void {
    if (audit.length === 0) return;
    const keys = this.keys();
    this.prepare(db, keys);
    const { seq: last } = db
      .prepare("UPDATE audit_chains SET seq = seq + ? WHERE chain = '#seq' RETURNING seq")
      .get(audit.length) as { seq: number };
    db.prepare("UPDATE audit_chains SET link = ?, key_id = ? WHERE chain = '#seq'").run(
      seqMac(keys.current.key, Number(last)),
      keys.current.id,
    );
    const seqs = audit.map((_, i) => Number(last) - audit.length + 1 + i);
    const head = db
      .prepare('SELECT chain_seq, link, first_seq FROM audit_chains WHERE chain = ?')
      .get(chain) as { chain_seq: number; link: string; first_seq: number } | undefined;
    const linked = linkEntries(keys, chain, head ?? null, seqs, audit);
    const insert = db.prepare(
      `INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
    );
    for (const e of linked.entries)
      insert.run(...AUDIT_COLUMNS.map((c) => encodeColumn(c, e[c]) as SQLInputValue));
    const h = linked.head;
    db.prepare(
      `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET chain_seq = excluded.chain_seq, seq = excluded.seq,
         link = excluded.link, key_id = excluded.key_id`,
    ).run(h.chain, h.chain_seq, h.seq, h.first_seq, h.link, h.key_id);
    // Never registered in a ledger: SQLite's keyed, gap-free '#seq' shows a chain deleted whole.
    db.prepare(
      `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id) VALUES (?, 0, 0, 0, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET link = excluded.link, key_id = excluded.key_id`,
    ).run(HEAD_MAC_CHAIN(chain), headMac(keys.current.key, h, false), h.key_id);
  }

  /** The newest entry, for the anchor. */
  head(db: DatabaseSync): AuditHead | null {
    const r = db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT 1').get();
    return r ? headOf(toAuditEntry(r as Record<string, unknown>)) : null;
  }

  /** In one read transaction: a snapshot, so appends by another process don't look like truncation. */
  async verify(db: DatabaseSync): Promise<AuditVerification> {
    db.exec('BEGIN');
    try {
      return await this.check(db);
    } finally {
      db.exec('COMMIT');
    }
  }

  private check(db: DatabaseSync): Promise<AuditVerification> {
    return verifyChain(
      {
        readAfter: async (afterSeq, limit) =>
          db
            .prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq ASC LIMIT ?')
            .all(afterSeq, limit)
            .map((r) => toAuditEntry(r as Record<string, unknown>)),
        chains: async () =>
          db
            .prepare('SELECT * FROM audit_chains')
            .all()
            .map((r) => toHead(r as Record<string, unknown>)),
        legacyHead: async () => {
          const h = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
            { seq: number; hash: string } | undefined;
          return h ? { seq: Number(h.seq), hash: String(h.hash) } : null;
        },
        contiguous: true,
      },
      this.keys(),
    );
  }
}
