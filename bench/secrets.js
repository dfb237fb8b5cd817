// Secrets bench: SecretsService (cache, coalescing, stale-on-error) against the obvious baselines in the
// same run: a bare Map behind an async function (cached-read floor), an uncoalesced cache (concurrent
// cold reads), and direct backend reads (outage). The outage runs the real Vault backend (node-vault)
// against the Vault test server; 60 s by default, BENCH_OUTAGE_S scales it.
require('reflect-metadata');
const { report } = require('./lib/harness');

require('../scripts/ts-register');
// The service's config sections (each lib owns its own; the app composes them).
require('../apps/mira/src/mira.config.ts');
const { Logger } = require('@nestjs/common');
Logger.overrideLogger(false); // warnings during the outage would only measure the console
const { miraConfigSchema } = require('@mira/config');
const { SecretsService, VaultSecretsBackend } = require('@mira/secrets');
const { VaultTestServer } = require('../apps/mira/test/support/vault-test-server.ts');

const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 60);
const options = (secrets) => miraConfigSchema.parse({ secrets }).secrets;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function cachedLatency() {
  const svc = new SecretsService({ ...options({ cache_ttl: 3600 }), backend: 'mem' }, {});
  svc.registerBackend('mem', { read: async () => 'bench-value' });
  await svc.start();
  await svc.get('db', 'password');
  const map = new Map([['db\u0000password', 'bench-value']]);
  const baseline = async (n, k) => map.get(`${n}\u0000${k}`);
  const measure = async (fn) => {
    const samples = [];
    for (let batch = 0; batch < 400; batch++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 1000; i++) await fn('db', 'password');
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return median(samples); // ns per get
  };
  await measure(baseline); // warm-up both
  await measure((n, k) => svc.get(n, k));
  return { mira: await measure((n, k) => svc.get(n, k)), base: await measure(baseline) };
}

async function coldConcurrent() {
  let calls = 0;
  const backend = { read: async () => (calls++, await sleep(5), 'cold-value') };
  const svc = new SecretsService({ ...options({}), backend: 'slow' }, {});
  svc.registerBackend('slow', backend);
  await svc.start();
  await Promise.all(Array.from({ length: 1000 }, () => svc.get('db', 'password')));
  // Baseline: a TTL cache without coalescing (check, miss, fetch, store).
  let naiveCalls = 0;
  const cache = new Map();
  const naive = async () => {
    if (cache.has('k')) return cache.get('k');
    naiveCalls++;
    await sleep(5);
    cache.set('k', 'cold-value');
    return 'cold-value';
  };
  await Promise.all(Array.from({ length: 1000 }, naive));
  return { mira: calls, base: naiveCalls };
}

async function outage() {
  const server = await VaultTestServer.start();
  server.mount('secret', 2);
  server.setSecret('secret', 'db', { password: 'outage-bench-value' });
  const token = server.issueToken({ ttl: 0, renewable: false });
  const cfg = options({
    backend: 'vault',
    cache_ttl: 1,
    retry: { delay: 0.05, max_retries: 3 },
    circuit_breaker: { reset_timeout: 5, timeout: 2 },
    vault: { url: server.url, token },
  });
  const svc = new SecretsService(cfg, {});
  const vault = new VaultSecretsBackend();
  svc.registerBackend('vault', vault);
  await svc.start();
  await svc.get('db', 'password');
  // Baseline: the same reads straight to the backend (no cache, no stale values).
  const direct = new VaultSecretsBackend();
  await direct.init({
    options: { ...cfg, circuit_breaker: { ...cfg.circuit_breaker, enabled: false } },
    env: {},
    logger: new Logger('b'),
    notifyChanged() {},
    reportCircuit() {},
  });

  const stats = { mira: { ok: 0, failed: 0, maxMs: 0 }, base: { ok: 0, failed: 0 } };
  let running = true;
  const reader = async (fn, s) => {
    while (running) {
      const t0 = Date.now();
      try {
        if ((await fn()) === 'outage-bench-value') s.ok++;
        else s.failed++;
      } catch {
        s.failed++;
      }
      if (s.maxMs !== undefined) s.maxMs = Math.max(s.maxMs, Date.now() - t0);
      await sleep(10);
    }
  };
  const readers = [
    ...Array.from({ length: 10 }, () => reader(() => svc.get('db', 'password'), stats.mira)),
    ...Array.from({ length: 10 }, () => reader(() => direct.read('db', 'password'), stats.base)),
  ];
  server.setDown(true);
  await sleep(OUTAGE_S * 1000);
  const health = { stale: svc.stats().stale, circuit: vault.health().circuit };
  server.setDown(false);
  running = false;
  await Promise.all(readers);
  await vault.close();
  await direct.close();
  await server.stop();
  return { stats, health };
}

async function main() {
  const lat = await cachedLatency();
  const cold = await coldConcurrent();
  const out = await outage();
  const m = out.stats.mira;
  const b = out.stats.base;
  report('Secrets: SecretsService vs baselines (same run)', [
    [
      'cached get, median ns/get  ',
      'mira',
      lat.mira.toFixed(0),
      '| bare Map in async fn',
      lat.base.toFixed(0),
      `| ratio ${(lat.mira / lat.base).toFixed(2)} (target <= 1000 ns)`,
    ],
    [
      '1000 concurrent cold gets  ',
      'mira backend calls',
      cold.mira,
      '| uncoalesced cache',
      cold.base,
      '(target 1)',
    ],
    [
      `${OUTAGE_S}s Vault outage reads`,
      'mira ok/failed',
      `${m.ok}/${m.failed} (max ${m.maxMs} ms)`,
      '| direct backend ok/failed',
      `${b.ok}/${b.failed}`,
      `(target 0 failed) health: stale=${out.health.stale} circuit=${out.health.circuit}`,
    ],
  ]);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
