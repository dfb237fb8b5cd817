import { randomBytes } from 'node:crypto';
import { useCluster } from './support/cluster';
import { eventually } from './support/service-process';

// Exactly once across replicas: two BUILT service processes on a real PostgreSQL and redis-server
// share a schedule firing every 2 seconds for 20 s; one is SIGKILLed halfway. The runs table must
// hold one run per scheduled time, with no slot missing between the first and the last.

const AUDITOR = { name: 'auditor', key: `aud-${randomBytes(12).toString('hex')}`, roles: ['auditor'] };

describe('Schedules across two service processes (PostgreSQL + Redis)', () => {
  const cluster = useCluster({ setupTimeoutMs: 300_000 });

  const runsOf = async (base: string): Promise<{ scheduled_time: string; status: string }[]> => {
    const headers = { 'x-api-key': AUDITOR.key };
    const res = await fetch(`${base}/api/v1/schedules/every-2s/runs?limit=500`, { headers });
    return ((await res.json()) as { runs: { scheduled_time: string; status: string }[] }).runs;
  };

  it('one run per scheduled time while a replica is SIGKILLed halfway', async () => {
    const config = {
      api: { keys: [AUDITOR], rate_limit: { enabled: false } },
      shutdown: { drain_delay_ms: 0 },
      ...(await cluster.shared('schedules_pair', { streamPrefix: 'sched:' })),
      schedules: {
        tick_ms: 200,
        lease_ms: 2000,
        min_interval_seconds: 1, // a 2-second cron

        'every-2s': {
          cron: '*/2 * * * * *',
          overlap: 'allow',
          target: { message: { type: 'generate_report', data: { name: 'Pair' } } },
        },
      },
    };
    const [a, b] = await cluster.startReplicas(2, { config }, 60_000);

    await eventually(async () => (await runsOf(b.url)).length >= 5, 30_000, '5 runs (~10 s)');
    const killed = await a.signal('SIGKILL').exit;
    expect(killed.code).toBeNull();
    const atKill = (await runsOf(b.url)).length;
    await eventually(
      async () => (await runsOf(b.url)).length >= atKill + 5,
      30_000,
      '5 more runs after the kill',
    );

    const runs = await runsOf(b.url);
    const times = runs.map((r) => Date.parse(r.scheduled_time)).sort((x, y) => x - y);
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(2000);
    expect(times.length).toBeGreaterThanOrEqual(10);
    // Every run finished (a run the killed replica held would be taken over once its lease lapsed).
    await eventually(
      async () => (await runsOf(b.url)).every((r) => r.status !== 'running'),
      20_000,
      'runs finished',
    );
  }, 180_000);
});
