// A Mira broker consumer process for the multi-process Redis tests: a RedisTransport from the
// TypeScript sources (compiled on the fly by @swc/core, so it does not depend on dist/ or on the
// rest of the tree type-checking), the logging lib's CLS propagator, and a pino logger with the
// service's correlation mixin. It prints JSON lines on stdout: ready, start, done, drained, stopped.
//
// Env: REDIS_URL, PREFIX, TYPE, GROUP, HANDLE_MS, MAX_IN_FLIGHT, BATCH, VISIBILITY_MS, DRAIN_MS.
require('reflect-metadata');
const { join } = require('node:path');

const root = join(__dirname, '../../../..');
require('../../../../scripts/ts-register');
// The service's config sections (each lib owns its own; the app composes them).
require(join(root, 'apps/mira/src/mira.config.ts'));

const { Logger } = require('@nestjs/common');
const pino = require('pino');
// The transport files directly: the worker does not need the rest of the broker lib.
const { RedisTransport } = require(join(root, 'libs/broker/src/redis/redis.transport.ts'));
const { redisTransportOptions } = require(join(root, 'libs/broker/src/redis/redis.options.ts'));
const { miraConfigSchema } = require('@mira/config');
const { ClsContextPropagator } = require('@mira/logging');
// By path: the mixin is the logging lib's internal, not part of its public API.
const { correlationMixin } = require(join(root, 'libs/logging/src/logging.options.ts'));

const env = process.env;
const out = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
// The handler's log, as the service writes it: pino JSON lines with the correlation context mixed in.
const log = pino({ messageKey: 'msg', mixin: correlationMixin, base: { pid: process.pid } });
Logger.overrideLogger(['error']);

async function main() {
  const config = miraConfigSchema.parse({
    broker: {
      redis: {
        url: env.REDIS_URL,
        stream_prefix: env.PREFIX,
        visibility_timeout_ms: Number(env.VISIBILITY_MS ?? 1500),
        block_ms: 200,
        max_in_flight: Number(env.MAX_IN_FLIGHT ?? 4),
        batch_size: Number(env.BATCH ?? 4),
      },
    },
  });
  const transport = new RedisTransport(
    redisTransportOptions(config.broker, { propagator: new ClsContextPropagator() }),
  );
  await transport.start();
  const handleMs = Number(env.HANDLE_MS ?? 0);
  await transport.subscribe(
    env.TYPE,
    async (m) => {
      out({ event: 'start', id: m.id });
      if (handleMs) await new Promise((r) => setTimeout(r, handleMs));
      log.info({ message_id: m.id }, 'handled message');
      out({ event: 'done', id: m.id });
    },
    { group: env.GROUP },
  );
  process.once('SIGTERM', async () => {
    out({ event: 'sigterm' });
    const result = await transport.drain(Number(env.DRAIN_MS ?? 10000));
    out({ event: 'drained', ...result });
    await transport.stop();
    out({ event: 'stopped', stats: transport.stats() });
    process.exit(0);
  });
  out({ event: 'ready', consumer: transport.consumerName });
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
