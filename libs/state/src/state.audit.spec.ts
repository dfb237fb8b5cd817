import { createHash } from 'node:crypto';
import { auditHash, chainEntries, verifyChain } from './state.audit';
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

describe('chainEntries + verifyChain', () => {
  it('chains from the tail and verifies across pages; reports a broken link', async () => {
    const inputs = Array.from({ length: 7 }, (_, i) => ({ ...base, comment: `c${i}` }));
    const first = chainEntries(null, inputs.slice(0, 3));
    const rest = chainEntries({ seq: 3, hash: first[2].hash }, inputs.slice(3));
    const all: AuditEntry[] = [...first, ...rest];
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const reader = (entries: AuditEntry[]) => async (after: number, limit: number) =>
      entries.filter((e) => e.seq > after).slice(0, limit);
    expect(await verifyChain(reader(all), null, 2)).toEqual({ ok: true, entries: 7 });
    const tampered = all.map((e) => (e.seq === 5 ? { ...e, actor: 'mallory' } : e));
    expect(await verifyChain(reader(tampered), null, 2)).toEqual({ ok: false, entries: 5, first_bad_seq: 5 });
    expect(await verifyChain(reader(all.filter((e) => e.seq !== 1)), null, 2)).toEqual({
      ok: false,
      entries: 1,
      first_bad_seq: 2,
    });
  });

  it('refuses an input time that is not a timestamp', () => {
    expect(() => chainEntries(null, [{ ...base, at: 'yesterday' }])).toThrow(
      expect.objectContaining({ code: 'STATE_INVALID_INPUT' }),
    );
  });
});
