import type { QueryResultRow } from 'pg';
import { auditKeyCheck, vouchRows, type AuditKeyring } from '../state.audit-keys';
import {
  HEAD_MAC_CHAIN,
  KEY_CHECK_CHAIN,
  LEGACY_SEAL_CHAIN,
  headOf,
  headMac,
  legacySeal,
  linkEntries,
  verifyChain,
  type ChainHead,
} from '../state.audit';
import {
  LEDGER_PREFIX,
  LEDGER_START,
  LEDGER_ZERO,
  ledgerStartMac,
  ledgerStripe,
  ledgerTerm,
} from '../state.audit-ledger';
import type { AuditHead, AuditInput, AuditVerification } from '../state.interface';
import { toAuditEntry } from '../state.rows';

type Run = <R extends QueryResultRow>(what: string, text: string, values?: unknown[]) => Promise<R[]>;

const num = (v: unknown) => Number(v);
const toHead = (r: QueryResultRow): ChainHead => ({
  chain: String(r.chain),
  chain_seq: num(r.chain_seq),
  seq: num(r.seq),
  first_seq: num(r.first_seq),
  link: String(r.link),
  key_id: (r.key_id as string | null) ?? null,
});

/** A linked batch ready to be written by the same statement as the workflow write. */
export interface LinkedAudit {
  /** CTE text: `, a AS (...), h AS (...)` after the workflow write named `w`. */
  ctes: string;
  values: unknown[];
}

/**
 * The audit writes of the postgres store, without a global lock: each workflow is its own chain, and
 * the workflow row's version check already lets exactly one writer move it. One round trip reads the
 * chain head and takes the seqs (nextval), then the workflow write, the entries and the new head go
 * in ONE statement (data-modifying CTEs): the entries and head are written only if the workflow write
 * matched, so a lost race leaves nothing behind but unused seqs.
 */
export class PostgresAudit {
  private ready: Map<string, Promise<void>> = new Map();

  constructor(
    private readonly run: Run,
    private readonly keys: () => AuditKeyring,
  ) {}

  /** Once per key id and process: its check value and the legacy chain's seal. Idempotent. */
  private prepare(keys: AuditKeyring): Promise<void> {
    const { id, key } = keys.current;
    const ready = keys.all.map((k) => k.id).join(',');
    let p = this.ready.get(ready);
    if (!p) {
      p = (async () => {
        const vouches = await this.run<{ chain: string; link: string; seq: string }>(
          'audit',
          `SELECT chain, link, seq FROM audit_chains WHERE chain LIKE '#vouch:%'`,
        );
        // The last seq handed out so far: entries under ids this key takes over from come before it.
        const [last] = await this.run<{ since: string }>(
          'audit',
          'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS since FROM audit_seq',
        );
        const rows = [
          { chain: KEY_CHECK_CHAIN(id), link: auditKeyCheck(key), key_id: id, seq: 0 },
          // The key's ledger starts: head MACs it writes then say a ledger exists.
          { chain: LEDGER_START(id), link: ledgerStartMac(key, id), key_id: id, seq: 0 },
          ...vouchRows(
            keys,
            vouches.map((v) => ({ ...v, seq: num(v.seq) })),
            num(last?.since ?? 0),
          ),
        ];
        await this.run(
          'audit',
          `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
           SELECT chain, 0, seq, 0, link, key_id
           FROM jsonb_to_recordset($1::jsonb) AS r(chain text, link text, key_id text, seq bigint)
           ON CONFLICT (chain) DO NOTHING`,
          [JSON.stringify(rows)],
        );
        const [legacy] = await this.run<{ seq: string; hash: string }>(
          'audit',
          'SELECT seq, hash FROM audit_head WHERE id = 1',
        );
        if (legacy)
          await this.run(
            'audit',
            `INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
             VALUES ($1, 0, $2, 0, $3, $4) ON CONFLICT (chain) DO NOTHING`,
            [LEGACY_SEAL_CHAIN, legacy.seq, legacySeal(key, { seq: num(legacy.seq), hash: legacy.hash }), id],
          );
      })();
      this.ready.set(ready, p);
      p.catch(() => this.ready.delete(ready));
    }
    return p;
  }

  /**
   * Links `audit` into `chain` (the workflow's id); `fresh` skips reading the head (a new workflow).
   * `offset` is the number of parameters the workflow statement already uses.
   */
  async link(chain: string, audit: AuditInput[], fresh: boolean, offset: number): Promise<LinkedAudit> {
    const keys = this.keys();
    await this.prepare(keys);
    const [r] = await this.run<{
      seqs: string[];
      chain_seq: string | null;
      link: string | null;
      first_seq: string | null;
      registered: string | null;
    }>(
      'audit',
      fresh
        ? `SELECT ARRAY(SELECT nextval('audit_seq') FROM generate_series(1, $1)) AS seqs`
        : `SELECT ARRAY(SELECT nextval('audit_seq') FROM generate_series(1, $1)) AS seqs, h.chain_seq, h.link, h.first_seq,
             m.first_seq AS registered
           FROM (SELECT 1) one LEFT JOIN audit_chains h ON h.chain = $2 LEFT JOIN audit_chains m ON m.chain = $3`,
      fresh ? [audit.length] : [audit.length, chain, HEAD_MAC_CHAIN(chain)],
    );
    // Registered in the ledger: a new chain, or one whose MAC row says so (a mark a writer removed
    // shows anyway: the stripe's digest still holds the chain's term).
    const registered = fresh || num(r.registered) === 1;
    const head =
      r.chain_seq === null || r.chain_seq === undefined
        ? null
        : { chain_seq: num(r.chain_seq), link: String(r.link), first_seq: num(r.first_seq) };
    const linked = linkEntries(keys, chain, head, r.seqs.map(num), audit);
    const p = (i: number) => `$${offset + i}`;
    // jsonb_populate_recordset maps every field by column name and type: columns added later
    // (actor_name, details, ...) are written without touching this statement.
    return {
      ctes: `, a AS (INSERT INTO audit SELECT * FROM jsonb_populate_recordset(NULL::audit, ${p(1)}::jsonb)
                 WHERE EXISTS (SELECT 1 FROM w)),
             h AS (INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
                 SELECT ${p(2)}::text, ${p(3)}::bigint, ${p(4)}::bigint, ${p(5)}::bigint, ${p(6)}::text, ${p(7)}::text
                 WHERE EXISTS (SELECT 1 FROM w)
                 ON CONFLICT (chain) DO UPDATE SET chain_seq = excluded.chain_seq, seq = excluded.seq,
                   link = excluded.link, key_id = excluded.key_id)${
                     // A new chain folds its keyed term into a ledger stripe (digest, count): a chain deleted
                     // whole later no longer folds up. Same statement, so no extra trip; its place in the
                     // stripe (the count returned) goes to its MAC row.
                     fresh
                       ? `,
             l AS (INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
                 SELECT ${p(10)}::text, 0, 1, 0,
                   encode(sha256(decode('${LEDGER_ZERO}', 'hex') || decode(${p(11)}::text, 'hex')), 'hex'), ${p(7)}::text
                 WHERE EXISTS (SELECT 1 FROM w)
                 ON CONFLICT (chain) DO UPDATE SET seq = audit_chains.seq + 1,
                   link = encode(sha256(decode(CASE WHEN audit_chains.link ~ '^[0-9a-f]{64}$'
                     THEN audit_chains.link ELSE '${LEDGER_ZERO}' END, 'hex') || decode(${p(11)}::text, 'hex')), 'hex')
                 RETURNING seq)`
                       : ''
                   },
             m AS (INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
                 SELECT ${p(8)}::text, 0, ${fresh ? '(SELECT seq FROM l)' : '0'}, ${fresh ? 1 : 0}, ${p(9)}::text, ${p(7)}::text
                 WHERE EXISTS (SELECT 1 FROM w)
                 ON CONFLICT (chain) DO UPDATE SET link = excluded.link, key_id = excluded.key_id${
                   fresh ? ', seq = excluded.seq, first_seq = excluded.first_seq' : ''
                 })`,
      values: [
        JSON.stringify(linked.entries),
        linked.head.chain,
        linked.head.chain_seq,
        linked.head.seq,
        linked.head.first_seq,
        linked.head.link,
        linked.head.key_id,
        HEAD_MAC_CHAIN(chain),
        headMac(keys.current.key, linked.head, registered),
        ...(fresh ? [ledgerStripe(keys.current.id, chain), ledgerTerm(keys.current.key, chain)] : []),
      ],
    };
  }

  /**
   * Runs the workflow write `statement` (INSERT/UPDATE ... RETURNING *) with `audit` appended to
   * `chain` in the same statement; returns the written row, or undefined when nothing matched.
   */
  async write(
    what: string,
    statement: string,
    values: unknown[],
    chain: string,
    audit: AuditInput[],
    fresh: boolean,
  ): Promise<QueryResultRow | undefined> {
    if (audit.length === 0) return (await this.run(what, statement, values))[0];
    const linked = await this.link(chain, audit, fresh, values.length);
    const text = `WITH w AS (${statement})${linked.ctes} SELECT * FROM w`;
    return (await this.run(what, text, [...values, ...linked.values]))[0];
  }

  /**
   * The newest entry, for the anchor, with the count of every ledger stripe: a stripe put back to an
   * earlier copy (its chains since deleted) shows as a count that went down between two anchors.
   */
  async head(): Promise<AuditHead | null> {
    const [r] = await this.run('auditHead', 'SELECT * FROM audit ORDER BY seq DESC LIMIT 1');
    if (!r) return null;
    const stripes = await this.run<{ chain: string; seq: string }>(
      'auditHead',
      `SELECT chain, seq FROM audit_chains WHERE chain LIKE $1 AND chain ~ ':[0-9]+$' ORDER BY chain`,
      [`${LEDGER_PREFIX}%`],
    );
    const ledger = Object.fromEntries(stripes.map((s) => [s.chain.slice(LEDGER_PREFIX.length), num(s.seq)]));
    return { ...headOf(toAuditEntry(r)), ledger };
  }

  /** `run`: the queries of one snapshot (a REPEATABLE READ transaction). */
  async verify(run: Run, batch?: number): Promise<AuditVerification> {
    return verifyChain(
      {
        readAfter: async (afterSeq, limit) =>
          (
            await run('verifyAudit', 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq ASC LIMIT $2', [
              afterSeq,
              limit,
            ])
          ).map(toAuditEntry),
        chains: async () => (await run('verifyAudit', 'SELECT * FROM audit_chains')).map(toHead),
        legacyHead: async () => {
          const [h] = await run('verifyAudit', 'SELECT seq, hash FROM audit_head WHERE id = 1');
          return h ? { seq: num(h.seq), hash: String(h.hash) } : null;
        },
        ledger: true,
      },
      this.keys(),
      batch,
    );
  }
}
