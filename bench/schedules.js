// Schedules bench: 1,000 schedules due in the same second on PostgreSQL; time until every run is
// claimed and until every run's webhook delivery reached a local receiver, with one scheduler
// replica and with two (each its own connection pool, as two processes would have; in one
// process here, so the two share this machine's cores like two pods on one node would).
// Reports the two-replica / one-replica ratio. Usage: node bench/schedules.js  (BENCH_SCHEDULES)
require('reflect-metadata');
const { createServer } = require('node:http');
require('../scripts/ts-register');
require('../apps/mira/src/mira.config.ts');
const { report } = require('./lib/harness');
const { ConfigStore, loadConfig } = require('../libs/config/src/index.ts');
const { openPostgresStateSql } = require('../libs/state/src/index.ts');
const { startPostgres } = require('../apps/mira/test/support/postgres-server.ts');
const { ManualClock } = require('../libs/schedules/src/schedules.clock.ts');
const { SCHEDULES_MIGRATIONS } = require('../libs/schedules/src/schedules.migrations.ts');
const { SchedulerService } = require('../libs/schedules/src/scheduler.service.ts');
const { DELIVERIES_MIGRATIONS } = require('../libs/deliveries/src/deliveries.migrations.ts');
const { DeliveryStore } = require('../libs/deliveries/src/delivery.store.ts');
const { HostGuard } = require('../libs/deliveries/src/delivery.host-guard.ts');
const { WebhookDeliveryKind } = require('../libs/deliveries/src/providers/webhook.delivery.ts');

const N = Number(process.env.BENCH_SCHEDULES ?? 1000);
// One owner here (the service applies them as two owners): versions renumbered 1..n.
const MIGRATIONS = [...SCHEDULES_MIGRATIONS, ...DELIVERIES_MIGRATIONS].map((m, i) => ({
  ...m,
  version: i + 1,
}));

async function round(server, replicas, receiverUrl, received) {
  const url = await server.createDatabase(`bench_sched_${replicas}_${Date.now()}`);
  const dbs = [];
  for (let i = 0; i < replicas; i++)
    dbs.push(await openPostgresStateSql(url, MIGRATIONS, { owner: 'bench' }));
  const config = new ConfigStore(
    loadConfig({ file: null, env: {}, overrides: { schedules: { grace_ms: 60_000 } } }),
  );
  const start = new Date('2026-12-04T14:59:59.000Z');
  const clock = new ManualClock(start);
  const runner = { run: async () => ({ status: 'succeeded', result: { ok: true } }) };
  const schedulers = dbs.map(
    (db) =>
      new SchedulerService(
        config,
        clock,
        () => db.sql,
        runner,
        (tx, destinations, request) =>
          new DeliveryStore(() => db.sql).enqueue(
            tx,
            destinations.map((d) => ({ destination: d, kind: 'webhook', ...request })),
            clock.now(),
          ),
        null,
      ),
  );
  const seed = schedulers[0].store;
  for (let i = 0; i < N; i++)
    await seed.create(
      {
        name: `s${i}`,
        cron: '0 16 * * 5',
        timezone: 'Europe/Berlin',
        target: { message: { type: 'x', data: {} } },
        deliveries: ['rx'],
        overlap: 'allow',
        catch_up: 'latest',
        paused: false,
      },
      'bench',
      'api',
      start,
    );
  received.count = 0;
  clock.set('2026-12-04T15:00:01.000Z'); // 16:00:01 in Berlin: all 1,000 due at 16:00:00
  const t0 = performance.now();
  let claimsMade = 0;
  await Promise.all(
    schedulers.map((s) =>
      s.tick().then(() => {
        claimsMade = Math.max(claimsMade, performance.now() - t0); // every (schedule, time) claimed
        return s.settle();
      }),
    ),
  );
  const claimed = performance.now() - t0; // claimed and every run finished (outbox rows written)
  const guard = new HostGuard([], { rx: { kind: 'webhook', url: receiverUrl } });
  const settings = config.section(require('../libs/deliveries/src/deliveries.config.ts').deliveriesConfig);
  const kind = new WebhookDeliveryKind();
  await Promise.all(
    dbs.map(async (db, i) => {
      const store = new DeliveryStore(() => db.sql);
      for (;;) {
        const rows = await store.claim(`r${i}`, clock.now(), 60_000, 50);
        if (!rows.length) break;
        await Promise.all(
          rows.map(async (row) => {
            await kind.send(
              { name: 'rx', kind: 'webhook', url: receiverUrl, secret: null, to: [] },
              row.message,
              { timeoutMs: 10_000, guard, settings },
            );
            await store.delivered(row.id, `r${i}`, clock.now());
          }),
        );
      }
    }),
  );
  const delivered = performance.now() - t0;
  const [{ n }] = await dbs[0].sql.query('SELECT COUNT(*) AS n FROM schedule_runs');
  if (Number(n) !== N || received.count !== N)
    throw new Error(`expected ${N} runs and deliveries, got ${n} / ${received.count}`);
  await Promise.all(dbs.map((d) => d.close()));
  return { claimsMade, claimed, delivered };
}

async function main() {
  const received = { count: 0 };
  const rx = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.count++;
      res.end('ok');
    });
  });
  await new Promise((r) => rx.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${rx.address().port}/hook`;
  const server = await startPostgres();
  try {
    const one = await round(server, 1, receiverUrl, received);
    const two = await round(server, 2, receiverUrl, received);
    const ms = (x) => `${x.toFixed(0)} ms`;
    report(`Schedules: ${N} due in the same second (PostgreSQL)`, [
      ['replicas', 'claims made', 'all claimed and run', 'all delivered'],
      ['1', ms(one.claimsMade), ms(one.claimed), ms(one.delivered)],
      ['2', ms(two.claimsMade), ms(two.claimed), ms(two.delivered)],
      [
        'ratio 2/1',
        (two.claimsMade / one.claimsMade).toFixed(2),
        (two.claimed / one.claimed).toFixed(2),
        (two.delivered / one.delivered).toFixed(2),
      ],
    ]);
  } finally {
    rx.close();
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
