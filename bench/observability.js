// Observability bench: POST /api/v1/messages (generate_plan) on
//   full  = the built app as shipped: request logging + correlation (CLS) + redaction + metrics,
//   plain = the same app with a default nestjs-pino setup (plain pino request logging: no
//           correlation context, no redaction, no mixin; metrics still on),
//   raw   = a bare node:http server answering the same JSON,
// side by side in one run, stdout of every server discarded (as a log shipper would read it).
// Usage: node bench/observability.js   (BENCH_DURATION=seconds per round, default 5)
const { join } = require('node:path');
const { root, startServer, loadWithCpu, report, pinLoadGenerator } = require('./lib/harness');

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const planBody = JSON.stringify({
  type: 'generate_plan',
  data: { name: 'Bench', goals: ['Design', 'Build', 'Launch'], duration_weeks: 12 },
});
// Same for every contender: no throttling, request logging at info (one line per request).
const APP_ENV = { MIRA_API__RATE_LIMIT__ENABLED: 'false', MIRA_LOG_LEVEL: 'info', MIRA_LOG_JSON: 'true' };

/** Child mode: boots the built app, optionally with the logging module swapped for plain nestjs-pino. */
async function serve(mode) {
  require('reflect-metadata');
  const dist = join(root, 'dist');
  const logging = require(join(dist, 'libs/logging/src/index.js'));
  if (mode === 'plain') {
    const { RequestMethod } = require('@nestjs/common');
    const { LoggerModule } = require('nestjs-pino');
    const { ClsModule } = require('nestjs-cls');
    // Rewire the module's metadata: plain LoggerModule (pino-http middleware on every route), no
    // correlation hooks, no mixin or redaction. ClsModule.forFeature as in the real module, so the
    // broker's context propagator still resolves and both variants carry the same CLS setup.
    const plain = LoggerModule.forRoot({
      pinoHttp: { level: 'info' },
      // nestjs-pino's own default route ('{/*splat}') matches nothing under this Fastify adapter.
      forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    });
    Reflect.defineMetadata(
      'imports',
      [ClsModule.forFeature(), logging.RedactionModule, plain],
      logging.LoggingModule,
    );
    Reflect.defineMetadata('providers', [logging.ClsContextPropagator], logging.LoggingModule);
    Reflect.defineMetadata(
      'exports',
      [LoggerModule, ClsModule, logging.RedactionModule, logging.ClsContextPropagator],
      logging.LoggingModule,
    );
  }
  const { createApp } = require(join(dist, 'apps/mira/src/app.factory.js'));
  const app = await createApp({});
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

async function main() {
  pinLoadGenerator();
  const { ensureBuilt } = require('../scripts/build-if-needed.js');
  ensureBuilt({ quiet: true });
  const self = join(root, 'bench/observability.js');
  const full = await startServer([self, '--serve', 'full'], APP_ENV, '/healthz/live');
  const plain = await startServer([self, '--serve', 'plain'], APP_ENV, '/healthz/live');
  const post = (url) => ({
    url: `${url}/api/v1/messages`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-correlation-id': 'bench-0001' },
    body: planBody,
    duration: DURATION,
  });
  const sample = await (
    await fetch(post(full.url).url, { method: 'POST', headers: post(full.url).headers, body: planBody })
  ).json();
  if (sample.status !== 'success')
    throw new Error(`unexpected answer from the app: ${JSON.stringify(sample)}`);
  const raw = await startServer([join(root, 'bench/lib/raw-server.js'), 'plan'], {
    RAW_PAYLOAD: JSON.stringify(sample),
  });
  try {
    const results = { raw: [], plain: [], full: [] };
    // Alternating rounds (raw, plain, full, raw, ...) spread machine drift over all three.
    for (let i = 0; i < ROUNDS; i++) {
      results.raw.push(await loadWithCpu(raw, { ...post(raw.url), url: raw.url }));
      results.plain.push(await loadWithCpu(plain, post(plain.url)));
      results.full.push(await loadWithCpu(full, post(full.url)));
    }
    const best = (xs) => xs.reduce((a, x) => (x.rps > a.rps ? x : a));
    const r = { raw: best(results.raw), plain: best(results.plain), full: best(results.full) };
    const cpu = (x) => (x.cpuPerRequest === null ? '' : `, cpu ${x.cpuPerRequest.toFixed(1)} us/req`);
    const fmt = (x) =>
      `${Math.round(x.rps)} req/s (p50 ${x.p50} ms, p99 ${x.p99} ms, non-2xx ${x.non2xx}${cpu(x)})`;
    // Requests per CPU-second against raw's: per core, as the target is stated.
    const byCpu = (x) =>
      x.cpuPerRequest && r.raw.cpuPerRequest
        ? `, by cpu ${(r.raw.cpuPerRequest / x.cpuPerRequest).toFixed(2)}`
        : '';
    report(
      `Observability: POST /api/v1/messages, best of ${ROUNDS} alternating rounds, ${DURATION}s, 32 connections`,
      [
        ['raw node:http                 ', fmt(r.raw)],
        [
          'mira, plain nestjs-pino       ',
          fmt(r.plain),
          `| vs raw ${(r.plain.rps / r.raw.rps).toFixed(2)}${byCpu(r.plain)}`,
        ],
        [
          'mira, full observability      ',
          fmt(r.full),
          `| vs raw ${(r.full.rps / r.raw.rps).toFixed(2)}${byCpu(r.full)} (target >= 0.5)`,
        ],
        [
          'correlation + redaction cost  ',
          `${((1 - r.full.rps / r.plain.rps) * 100).toFixed(1)} % (full vs plain; target <= 5 %)`,
        ],
      ],
    );
  } finally {
    await Promise.all([full.stop(), plain.stop(), raw.stop()]);
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3]).catch((err) => {
    process.stderr.write(`bench server failed: ${err.stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
