import { randomBytes } from 'node:crypto';
import { useCluster } from './support/cluster';
import { keyedApi, type Answer } from './support/keyed-api';
import { eventually } from './support/service-process';

// Issue 31: PostgreSQL stopped for 5 s (fast shutdown, then a postmaster crash) under two BUILT
// service processes while 20 clients create, approve and reject over real HTTP. Asserted: no
// process dies, no 500, 503 STATE_UNAVAILABLE during the outage, readiness 503 / liveness 200,
// every acknowledged decision in the record and the audit trail, each approved workflow completed
// exactly once, nothing left approved/running, the audit chain verifies. No timings asserted.

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const KEYS = {
  requester: { name: 'requester', key: secret('req'), roles: ['submitter'] },
  approver: { name: 'approver', key: secret('ap'), roles: ['approver'] },
  auditor: { name: 'auditor', key: secret('aud'), roles: ['auditor'] },
} as const;

/** Above the financial threshold: held for one approval whatever the default policy. */
const HIGH_RISK = { financial_impact: 250000, compliance_level: 'low', explainability_score: 0.9 };
const PROJECT = { name: 'Outage', description: 'survives a store outage', goals: ['a'], duration_weeks: 2 };

// No answer at all (a process gone, a timeout): counted apart as status 0, never as a 5xx.
const api = keyedApi(KEYS, { noAnswerAsZero: true });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('state store outage under two service processes (real PostgreSQL and Redis)', () => {
  // Durable commits: the SIGKILL case checks that every acknowledged decision survives the crash.
  const cluster = useCluster({ setupTimeoutMs: 240_000, durableCommits: true });

  it.each(['SIGINT', 'SIGKILL'] as const)(
    'PostgreSQL down for 5 s (%s) while 20 clients create, approve and reject',
    async (signal) => {
      const db = `outage_${signal.toLowerCase()}`;
      const config = {
        api: { keys: Object.values(KEYS), rate_limit: { enabled: false } },
        shutdown: { drain_delay_ms: 0 },
        ...(await cluster.shared(db, {
          streamPrefix: `${db}:`,
          postgres: { statement_timeout_ms: 3000, connect_timeout_ms: 1000 },
        })),
        governance: { approvals_required: { high: 1 }, lease_seconds: 2, sweep_interval_seconds: 0.5 },
      };
      const replicas = await cluster.startReplicas(2, { config });

      const statuses = new Map<number, number>();
      const codes503 = new Set<string>();
      const note = (a: Answer) => {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 503) codes503.add(String(a.body?.code));
      };
      const acked = new Map<string, 'approve' | 'reject'>();
      let running = true;
      const client = async (c: number) => {
        for (let i = 0; running; i++) {
          const base = replicas[(c + i) % 2].url;
          const created = await api(base, '/api/v1/workflows', 'requester', {
            workflow_type: 'project_initialization',
            data: { ...PROJECT, name: `c${c}-${i}` },
            governance_data: HIGH_RISK,
          });
          note(created);
          if (created.status !== 200 && created.status !== 201 && created.status !== 202) {
            await sleep(200);
            continue;
          }
          const id = created.body.workflow_id as string;
          const what = (c + i) % 3 === 0 ? 'reject' : 'approve';
          // Retried through the outage on the other replica until it is acknowledged or refused.
          for (let attempt = 0; running || attempt < 40; attempt++) {
            const decided = await api(
              replicas[(c + i + 1) % 2].url,
              `/api/v1/workflows/${id}/${what}`,
              'approver',
              {
                comment: `${what} by client ${c}`,
              },
            );
            note(decided);
            if (decided.status === 200) acked.set(id, what);
            if (decided.status !== 503 && decided.status !== 0) break;
            await sleep(250);
          }
        }
      };
      const clients = Array.from({ length: 20 }, (_, c) => client(c));

      await sleep(3000);
      await cluster.postgres.down(signal);
      const downAt = Date.now();
      await sleep(1000);
      const probes = await Promise.all(
        replicas.flatMap((r) => [fetch(`${r.url}/healthz/ready`), fetch(`${r.url}/healthz/live`)]),
      );
      await sleep(Math.max(0, 5000 - (Date.now() - downAt)));
      await cluster.postgres.restart();
      await sleep(5000);
      running = false;
      await Promise.all(clients);

      // Readiness 503 and liveness 200 on both replicas while the store was gone.
      expect(probes.map((p) => p.status)).toEqual([503, 200, 503, 200]);
      expect(statuses.get(500) ?? 0).toBe(0);
      expect(statuses.get(0) ?? 0).toBe(0);
      expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
      expect([...codes503]).toEqual(['STATE_UNAVAILABLE']);
      for (const r of replicas) expect(r.child.proc.exitCode).toBeNull();
      expect(acked.size).toBeGreaterThan(20);

      // Every acknowledged decision is recorded and audited; approvals complete exactly once.
      const base = replicas[0].url;
      for (const [id, what] of acked) {
        const done = await eventually(
          async () => {
            const r = await api(base, `/api/v1/workflows/${id}`, 'auditor');
            const final = what === 'approve' ? 'completed' : 'rejected';
            return r.status === 200 && r.body.status === final ? r.body : undefined;
          },
          30_000,
          `workflow ${id} after ${what}`,
        );
        expect(done.decisions.filter((d: { decision: string }) => d.decision === what)).toHaveLength(1);
        const trail = (await api(base, `/api/v1/audit?workflow_id=${id}&limit=100`, 'auditor')).body
          .items as {
          action: string;
        }[];
        expect(trail.filter((e) => e.action === what)).toHaveLength(1);
        if (what === 'approve') expect(trail.filter((e) => e.action === 'completed')).toHaveLength(1);
      }
      // Nothing stays approved or running beyond a lease once the store is back.
      await eventually(
        async () => {
          const stuck = await Promise.all(
            ['approved', 'running'].map(
              async (s) =>
                (await api(base, `/api/v1/workflows?status=${s}&limit=10`, 'auditor')).body.items.length,
            ),
          );
          return stuck.every((n) => n === 0) ? true : undefined;
        },
        30_000,
        'no workflow approved or running',
      );
      const verify = await api(base, '/api/v1/audit/verify', 'auditor');
      expect(verify.status).toBe(200);
      expect(verify.body.ok).toBe(true);
      const output = replicas.map((r) => r.child.stdout() + r.child.stderr()).join('\n');
      expect(output).not.toMatch(/uncaughtException|unhandledRejection/);
      await Promise.all(replicas.map((r) => r.kill()));
    },
    240_000,
  );
});
