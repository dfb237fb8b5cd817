// Config hot-reload bench: write-to-applied latency (p50/p99) of ConfigReloadService for an
// in-place write and for the kubelet's ConfigMap swap, with native watching and with polling.
// "Applied" = the ConfigStore change event for the written key has fired. Baselines measured in
// the same run: a bare fs.watch on the same directory (the floor native watching can reach,
// without debounce, read, parse, validate and swap), and the polling interval (a poll waits on
// average half of it). Usage: node bench/config-reload.js  (BENCH_SAMPLES, BENCH_POLL_SAMPLES)
require('reflect-metadata');
const fs = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const root = join(__dirname, '..');
require('../scripts/ts-register');
// The service's config sections (each lib owns its own; the app composes them).
require('../apps/mira/src/mira.config.ts');
const { Logger } = require('@nestjs/common');
const src = join(root, 'libs/config/src');
const { ConfigStore } = require(join(src, 'config.store.ts'));
const { loadConfig } = require(join(src, 'config.loader.ts'));
const { ConfigReloadService } = require(join(src, 'config.reload.service.ts'));
const { ConfigFileSystem } = require(join(src, 'config.file-system.ts'));
const { ConfigWatcherFactory } = require(join(src, 'config-watcher.factory.ts'));

Logger.overrideLogger(false);

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const POLL_SAMPLES = Number(process.env.BENCH_POLL_SAMPLES ?? 40);
const POLL_INTERVAL_S = 0.2;
const DEBOUNCE_MS = 50; // the schema default

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const yaml = (n, mode) =>
  `config:\n  hot_reload: true\n  watch_mode: ${mode}\n  poll_interval: ${POLL_INTERVAL_S}\n  debounce_ms: ${DEBOUNCE_MS}\n` +
  `governance:\n  financial_threshold: ${n}\n`;

function kubeletWrite(dir, files) {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*/, '');
  const tsDir = fs.mkdtempSync(join(dir, `..${stamp}.`));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(join(tsDir, name), content);
  const dataLink = join(dir, '..data');
  const old = fs.existsSync(dataLink) ? fs.readlinkSync(dataLink) : null;
  fs.symlinkSync(tsDir.slice(dir.length + 1), join(dir, '..data_tmp'));
  fs.renameSync(join(dir, '..data_tmp'), dataLink);
  for (const name of Object.keys(files))
    if (!fs.existsSync(join(dir, name))) fs.symlinkSync(join('..data', name), join(dir, name));
  if (old) fs.rmSync(join(dir, old), { recursive: true, force: true });
}

const writers = {
  'in-place': (dir, text) => fs.writeFileSync(join(dir, 'mira.yaml'), text),
  configmap: (dir, text) => kubeletWrite(dir, { 'mira.yaml': text }),
};

function percentiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { p50: at(50), p99: at(99), n: s.length };
}

/** ConfigReloadService: write, then wait for the store's change event. */
async function measureService(kind, mode, samples) {
  const dir = fs.mkdtempSync(join(tmpdir(), 'mira-bench-reload-'));
  writers[kind](dir, yaml(1, mode));
  const options = { file: join(dir, 'mira.yaml'), env: {} };
  const store = new ConfigStore(loadConfig(options));
  const svc = new ConfigReloadService(store, options, new ConfigFileSystem(), new ConfigWatcherFactory());
  await svc.start();
  if (svc.mode !== (mode === 'poll' ? 'poll' : 'native')) throw new Error(`watcher mode is ${svc.mode}`);
  let waiter = null;
  store.onChange(() => {
    if (waiter) waiter(now());
  }, 'governance.financial_threshold');
  const lat = [];
  for (let i = 0; i < samples; i++) {
    const applied = new Promise((r) => (waiter = r));
    const t0 = now();
    writers[kind](dir, yaml(i + 2, mode));
    const t1 = await Promise.race([applied, sleep(10_000).then(() => null)]);
    if (t1 === null) throw new Error(`${kind}/${mode}: change ${i} not applied within 10 s`);
    lat.push(t1 - t0);
    // Let the debounce window close and stray events settle before the next write.
    await sleep(DEBOUNCE_MS + 20 + Math.random() * 20);
  }
  const status = store.status();
  await svc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  if (status.reloads.ok !== samples || status.reloads.failed !== 0)
    throw new Error(`${kind}/${mode}: expected ${samples} reloads, got ${JSON.stringify(status.reloads)}`);
  return percentiles(lat);
}

/** Baseline: a bare fs.watch on the same directory; latency to the first event after the write. */
async function measureRawWatch(kind, samples) {
  const dir = fs.mkdtempSync(join(tmpdir(), 'mira-bench-raw-'));
  writers[kind](dir, yaml(1, 'native'));
  let waiter = null;
  const w = fs.watch(dir, () => {
    if (waiter) {
      const r = waiter;
      waiter = null;
      r(now());
    }
  });
  const lat = [];
  for (let i = 0; i < samples; i++) {
    const seen = new Promise((r) => (waiter = r));
    const t0 = now();
    writers[kind](dir, yaml(i + 2, 'native'));
    lat.push((await seen) - t0);
    await sleep(DEBOUNCE_MS + 20 + Math.random() * 20);
  }
  w.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return percentiles(lat);
}

async function main() {
  const fmt = (x) => `${x.toFixed(1)} ms`;
  const rows = [];
  for (const kind of ['in-place', 'configmap']) {
    const raw = await measureRawWatch(kind, SAMPLES);
    const native = await measureService(kind, 'native', SAMPLES);
    const poll = await measureService(kind, 'poll', POLL_SAMPLES);
    rows.push({ kind, raw, native, poll });
  }
  console.log(
    `config reload: write -> applied (debounce_ms ${DEBOUNCE_MS}, poll_interval ${POLL_INTERVAL_S}s)`,
  );
  for (const { kind, raw, native, poll } of rows) {
    console.log(
      `  ${kind.padEnd(9)} native  p50 ${fmt(native.p50)}  p99 ${fmt(native.p99)}  (n=${native.n})` +
        `   baseline fs.watch p50 ${fmt(raw.p50)} p99 ${fmt(raw.p99)}; native-minus-debounce p50 ${fmt(native.p50 - DEBOUNCE_MS)}`,
    );
    console.log(
      `  ${kind.padEnd(9)} polling p50 ${fmt(poll.p50)}  p99 ${fmt(poll.p99)}  (n=${poll.n})` +
        `   baseline interval ${POLL_INTERVAL_S * 1000} ms; p50/interval ${(poll.p50 / (POLL_INTERVAL_S * 1000)).toFixed(2)} (expected ~0.5)`,
    );
  }
  const worst = Math.max(...rows.map((r) => r.native.p50));
  console.log(`target native p50 <= 100 ms: ${worst <= 100 ? 'met' : 'NOT met'} (worst ${fmt(worst)})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
