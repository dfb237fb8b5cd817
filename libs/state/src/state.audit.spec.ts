import { createHash, createHmac } from 'node:crypto';
import { auditKeyCheck, auditKeyring, vouchRows } from './state.audit-keys';
import {
  auditHash,
  auditLink,
  canonicalEntry,
  linkEntries,
  verifyChain,
  headMac,
  type ChainHead,
} from './state.audit';
import { AUDIT_GENESIS_HASH } from './state.constants';
import type { AuditEntry } from './state.interface';

const base = {
  seq: 1,
  at: '2026-03-01T10:00:00.000Z',
  actor: 'bob',
  action: 'workflow.approved',
  workflow_id: 'wf-1',
  from_status: 'pending_approval',
  to_status: 'approved',
  comment: null,
  correlation_id: 'c-1',
  prev_hash: AUDIT_GENESIS_HASH,
};

describe('auditHash', () => {
  it('is SHA-256 hex of the fields in a fixed order, whatever the object key order', () => {
    const reversed = Object.fromEntries(Object.entries(base).reverse()) as typeof base;
    expect(auditHash(reversed)).toBe(auditHash(base));
    const canonical = JSON.stringify(Object.entries(base));
    expect(auditHash(base)).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(AUDIT_GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('changes with any field, prev_hash included', () => {
    const h = auditHash(base);
    for (const [k, v] of Object.entries({
      comment: 'x',
      actor: 'eve',
      seq: 2,
      prev_hash: 'f'.repeat(64),
      at: '2026-03-01T10:00:00.001Z',
    }))
      expect(auditHash({ ...base, [k]: v })).not.toBe(h);
  });
});

const ring = (id: string, key: string, ...previous: { id: string; key: string }[]) =>
  auditKeyring({ id, key }, previous);
const input = {
  at: base.at,
  actor: 'bob',
  action: 'workflow.approved',
  workflow_id: 'wf-1',
  from_status: 'pending_approval',
  to_status: 'approved',
  comment: null,
  correlation_id: 'c-1',
};

/** An in-memory VerifySource over entries and chain heads. */
function source(
  entries: AuditEntry[],
  heads: ChainHead[],
  legacy: { seq: number; hash: string } | null = null,
) {
  return {
    readAfter: async (after: number, limit: number) => entries.filter((e) => e.seq > after).slice(0, limit),
    chains: async () => heads,
    legacyHead: async () => legacy,
  };
}

describe('canonicalEntry + auditLink', () => {
  it('covers every field but the link fields, whatever the key order, ignoring null fields', () => {
    const e = {
      seq: 1,
      actor: 'bob',
      details: { b: 1, a: [{ y: 2, x: 1 }] },
      actor_name: null,
      prev_hash: 'p',
      hash: 'h',
    };
    expect(canonicalEntry(e)).toBe('{"actor":"bob","details":{"a":[{"x":1,"y":2}],"b":1},"seq":1}');
    const link = auditLink('k', AUDIT_GENESIS_HASH, e);
    expect(link).toBe(
      createHmac('sha256', 'k')
        .update(`${AUDIT_GENESIS_HASH}\n${canonicalEntry(e)}`)
        .digest('hex'),
    );
    // A field someone adds later is covered without editing the link code.
    expect(auditLink('k', AUDIT_GENESIS_HASH, { ...e, details: { b: 2, a: [] } })).not.toBe(link);
    expect(auditLink('k', AUDIT_GENESIS_HASH, { ...e, extra: 'x' })).not.toBe(link);
    expect(auditLink('other', AUDIT_GENESIS_HASH, e)).not.toBe(link);
  });
});

// The keyed MAC row a store writes beside each chain head ('#mac:<chain>').
const withMacs = (key: string, heads: ChainHead[]) => [
  ...heads,
  ...heads.map((h) => ({
    chain: `#mac:${h.chain}`,
    chain_seq: 0,
    seq: 0,
    first_seq: 0,
    link: headMac(key, h),
    key_id: h.key_id,
  })),
];

describe('linkEntries + verifyChain', () => {
  it('links per chain under the current key and verifies across pages; reports a broken link', async () => {
    const keys = ring('k1', 'secret-one');
    const a = linkEntries(keys, 'wf-a', null, [1, 2, 3], [input, input, input]);
    const b = linkEntries(keys, 'wf-b', null, [4], [input]);
    const a2 = linkEntries(keys, 'wf-a', a.head, [5], [{ ...input, comment: 'later' }]);
    const all = [...a.entries, ...b.entries, ...a2.entries];
    expect(all.map((e) => [e.chain, e.chain_seq, e.key_id])).toEqual([
      ['wf-a', 1, 'k1'],
      ['wf-a', 2, 'k1'],
      ['wf-a', 3, 'k1'],
      ['wf-b', 1, 'k1'],
      ['wf-a', 4, 'k1'],
    ]);
    expect(a2.entries[0].prev_hash).toBe(a.entries[2].hash);
    const heads = withMacs('secret-one', [a2.head, b.head]);
    expect(await verifyChain(source(all, heads), keys, 2)).toEqual({ ok: true, entries: 5 });
    const tampered = all.map((e) => (e.seq === 4 ? { ...e, actor: 'mallory' } : e));
    expect(await verifyChain(source(tampered, heads), keys, 2)).toMatchObject({
      ok: false,
      first_bad_seq: 4,
      reason: 'tampered',
    });
    // Recomputed with the (public) unkeyed hash or another key: still bad.
    const rehashed = all.map((e) =>
      e.seq === 2 ? { ...e, comment: 'x', hash: auditLink('guess', e.prev_hash, { ...e, comment: 'x' }) } : e,
    );
    expect((await verifyChain(source(rehashed, heads), keys)).first_bad_seq).toBe(2);
    // The last entry of a chain removed: its head row names the missing link.
    expect(
      await verifyChain(
        source(
          all.filter((e) => e.seq !== 5),
          heads,
        ),
        keys,
      ),
    ).toMatchObject({
      ok: false,
      first_bad_seq: 4,
      reason: 'truncated',
    });
  });

  it('rotation: entries of a previous key verify; a key id not configured, or another key under a known id, is not verifiable', async () => {
    const old = ring('k1', 'secret-one');
    const first = linkEntries(old, 'wf-a', null, [1], [input]);
    const rotated = ring('k2', 'secret-two', { id: 'k1', key: 'secret-one' });
    const second = linkEntries(rotated, 'wf-a', first.head, [2], [input]);
    const entries = [...first.entries, ...second.entries];
    const checks = (ids: [string, string][]) =>
      ids.map(([id, key]) => ({
        chain: `#key:${id}`,
        chain_seq: 0,
        seq: 0,
        first_seq: 0,
        link: auditKeyCheck(key),
        key_id: id,
      }));
    const heads = [
      ...withMacs('secret-two', [second.head]),
      ...checks([
        ['k1', 'secret-one'],
        ['k2', 'secret-two'],
      ]),
      // As the store writes them when k2 starts linking: k2 vouches for k1 (and k1 for k2).
      ...vouchRows(rotated, [], 1).map((r) => ({ ...r, chain_seq: 0, first_seq: 0 })),
    ];
    expect(await verifyChain(source(entries, heads), rotated)).toEqual({ ok: true, entries: 2 });
    expect(await verifyChain(source(entries, heads), ring('k2', 'secret-two'))).toEqual({
      ok: false,
      entries: 1,
      first_bad_seq: 1,
      reason: 'unknown_key',
      key_id: 'k1',
    });
    expect(
      await verifyChain(source(entries, heads), ring('k2', 'another', { id: 'k1', key: 'secret-one' })),
    ).toEqual({
      ok: false,
      entries: 2,
      reason: 'key_mismatch',
      key_id: 'k2',
    });
  });

  it('refuses an input time that is not a timestamp', () => {
    expect(() => linkEntries(ring('k', 'x'), 'wf', null, [1], [{ ...input, at: 'yesterday' }])).toThrow(
      expect.objectContaining({ code: 'STATE_INVALID_INPUT' }),
    );
  });
});
