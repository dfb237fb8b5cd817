import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Logger } from '@nestjs/common';
import { auditHash } from '@mira/state';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';

// The keyed, anchored audit trail over real HTTP on a real SQLite file (issue 25 item 4).
const K1 = 'first-audit-key-0123456789abcdef0123';
const K2 = 'second-audit-key-0123456789abcdef012';
const ADMIN = 'admin-key-0123456789abcdef';
const as = { authorization: `Bearer ${ADMIN}` };
const risky = {
  workflow_type: 'project_initialization',
  data: { name: 'Big spend', description: 'urgent', goals: ['Design', 'Build'] },
  governance_data: { financial_impact: 250000, compliance_level: 'high' },
};

describe('keyed, anchored audit trail', () => {
  let dir: string;
  let dbPath: string;
  let t: TestApp | null = null;
  const start = (audit: Record<string, unknown>) =>
    startTestApp({
      overrides: {
        api: { keys: [{ name: 'root', key: ADMIN, roles: ['admin'] }] },
        state: { sqlite: { path: dbPath } },
        governance: { audit: { anchor_interval_seconds: 1, ...audit } },
      },
    });
  const verify = async () => (await request(`${t!.url}/api/v1/audit/verify`, { headers: as })).body;
  const submit = async () =>
    (await request(`${t!.url}/api/v1/workflows`, { method: 'POST', headers: as, body: risky })).body
      .workflow_id as string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mira-audit-'));
    dbPath = join(dir, 'mira.db');
  });
  afterEach(async () => {
    await t?.close();
    t = null;
    jest.restoreAllMocks();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('anchors the head (log line + metric), catches a re-hashed row, survives rotation, refuses another key', async () => {
    const logged: unknown[] = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      logged.push(message);
    });
    t = await start({ key: K1, key_id: 'k1' });
    await submit();
    await submit();
    const trail = (await request(`${t.url}/api/v1/audit`, { headers: as })).body.items as Record<
      string,
      unknown
    >[];
    expect(trail.map((e) => e.key_id)).toEqual(['k1', 'k1']);
    const last = trail.at(-1)!;
    // The anchor: a log line `audit head` with the newest seq and link, and the gauge.
    await until(
      async () =>
        logged.some(
          (m) =>
            (m as { msg?: string; seq?: number })?.msg === 'audit head' &&
            (m as { seq: number }).seq === last.seq,
        ) || null,
      'the audit head log line',
    );
    // The newest line (an earlier one may have anchored the first entry between the two submits).
    const line = logged.filter((m) => (m as { msg?: string }).msg === 'audit head').at(-1) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ seq: last.seq, link: last.hash, key_id: 'k1' });
    const metrics = (await request(`${t.url}/metrics`, { headers: as })).text as string;
    expect(metrics).toMatch(new RegExp(`^mira_audit_head_seq ${last.seq}$`, 'm'));
    expect(JSON.stringify(logged) + metrics).not.toContain(K1);
    expect(await verify()).toEqual({ ok: true, entries: 2 });
    await t.close();

    // Rotation: k2 current, k1 kept for verification.
    t = await start({ key: K2, key_id: 'k2', previous_keys: [{ id: 'k1', key: K1 }] });
    await submit();
    expect(await verify()).toEqual({ ok: true, entries: 3 });
    await t.close();

    // A different key under id k2, without k1: not verifiable (the key is never in the answer).
    t = await start({ key: 'some-other-key-0123456789abcdef0123', key_id: 'k2' });
    const other = await verify();
    expect(other).toMatchObject({ ok: false, reason: 'key_mismatch', key_id: 'k2' });
    expect(JSON.stringify(other)).not.toContain('some-other-key');
    await t.close();

    // A row edited in the file and re-hashed without the key (SHA-256 as before): reported.
    const db = new DatabaseSync(dbPath);
    try {
      const row = db.prepare('SELECT * FROM audit WHERE seq = 2').get() as Record<string, unknown>;
      const forged = auditHash({
        ...(row as unknown as Parameters<typeof auditHash>[0]),
        comment: 'rewritten history',
      });
      db.prepare('UPDATE audit SET comment = ?, hash = ? WHERE seq = 2').run('rewritten history', forged);
    } finally {
      db.close();
    }
    t = await start({ key: K2, key_id: 'k2', previous_keys: [{ id: 'k1', key: K1 }] });
    expect(await verify()).toMatchObject({ ok: false, first_bad_seq: 2, reason: 'tampered' });
  });
});
