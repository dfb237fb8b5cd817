// Test entry for the lifecycle e2e specs: runs the BUILT service's own bootstrap (dist/) with
// one extra module, the way an extension would add to it, so no test code ships in the product.
// Plain CommonJS so it needs no compiling; decorators are applied as functions. What the module
// contains is chosen by LIFECYCLE_TEST_SPEC (JSON, see LifecycleTestSpec in service-process.ts).
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { Inject, Injectable, Logger, Module } = require('@nestjs/common');

const dist = join(__dirname, '../../../../dist');
const { bootstrap } = require(join(dist, 'apps/mira/src/main.js'));
const { Agent, Workflow, successResponse } = require(join(dist, 'libs/agents/src/index.js'));
const { MESSAGE_BROKER } = require(join(dist, 'libs/broker/src/index.js'));
const { HealthIndicatorProvider, HealthService } = require(join(dist, 'libs/health/src/index.js'));
const { ShutdownHook, ShutdownService } = require(join(dist, 'libs/shutdown/src/index.js'));

const spec = JSON.parse(process.env.LIFECYCLE_TEST_SPEC || '{}');
const logger = new Logger('LifecycleTest');
const providers = [];

function injectable(cls, ...tokens) {
  Injectable()(cls);
  tokens.forEach((token, i) => Inject(token)(cls, undefined, i));
  providers.push(cls);
  return cls;
}

// An agent that holds a message (or a workflow step) for data.ms milliseconds.
if (spec.slowAgent) {
  class SlowAgent {
    async process(message) {
      const ms = Number(message.data?.ms ?? 2000);
      logger.log(`slow agent started ${message.data?.tag ?? ''} for ${ms} ms`);
      await sleep(ms);
      logger.log(`slow agent finished ${message.data?.tag ?? ''}`);
      return successResponse('test_slow_agent', { slept_ms: ms, tag: message.data?.tag ?? null });
    }
  }
  Agent({ id: 'test_slow_agent', messageTypes: ['test.slow'] })(SlowAgent);
  injectable(SlowAgent);
}

// A workflow of slow steps (each one `test.slow` for data.ms), so a test can stop a replica
// while it runs approved steps. Needs slowAgent for its steps to succeed.
if (spec.slowWorkflow) {
  const steps = Number(spec.slowWorkflow.steps ?? 1);
  class SlowWorkflow {
    constructor() {
      this.steps = Array.from({ length: steps }, () => ({
        step: 'test.slow',
        input: ({ data }) => ({ ms: data.ms, tag: data.tag }),
      }));
    }
  }
  Workflow({ type: 'test_slow_workflow', description: 'Test: slow steps' })(SlowWorkflow);
  injectable(SlowWorkflow);
}

// Broker subscribers: one slow handler, one that blocks the event loop.
if (spec.subscribers) {
  class TestSubscribers {
    constructor(broker) {
      this.broker = broker;
    }
    async onApplicationBootstrap() {
      await this.broker.subscribe(
        'test.slow_event',
        async (m) => {
          logger.log(`broker handler started ${m.data.tag}`);
          await sleep(Number(m.data.ms ?? 2000));
          logger.log(`broker handler finished ${m.data.tag}`);
        },
        { group: 'lifecycle-test' },
      );
      await this.broker.subscribe(
        'test.block',
        (m) => {
          const until = Date.now() + Number(m.data.ms ?? 1500);
          logger.log('blocking the event loop');
          while (Date.now() < until);
        },
        { group: 'lifecycle-test' },
      );
      // A bug outside any handler's promise: the process-level fatal path must catch it.
      await this.broker.subscribe(
        'test.crash',
        () => {
          setImmediate(() => {
            throw new Error('test crash outside any handler');
          });
        },
        { group: 'lifecycle-test' },
      );
    }
  }
  injectable(TestSubscribers, MESSAGE_BROKER);
}

// A dependency whose health the test sets by writing a file (healthy while the file is absent).
if (spec.indicatorFile) {
  class TestDependencyIndicator {
    check() {
      const status = existsSync(spec.indicatorFile)
        ? readFileSync(spec.indicatorFile, 'utf8').trim()
        : 'healthy';
      return { status, reason: status === 'healthy' ? null : `test dependency is ${status}` };
    }
  }
  HealthIndicatorProvider({ name: 'test_dependency' })(TestDependencyIndicator);
  injectable(TestDependencyIndicator);
}

// A background warm-up that keeps startup incomplete until the gate file exists.
if (spec.startupGateFile) {
  class Warmup {
    constructor(health) {
      this.health = health;
    }
    onApplicationBootstrap() {
      const gate = spec.startupGateFile;
      this.health.trackStartup(
        'test-warmup',
        (async () => {
          while (!existsSync(gate)) await sleep(50);
        })(),
      );
    }
  }
  injectable(Warmup, HealthService);
}

// Shutdown hooks, declared (decorator) or registered (ShutdownService.register), in spec order.
function hookFn(h) {
  return async () => {
    logger.log(`test hook ${h.name} ran`);
    if (h.behaviour === 'throw') throw new Error(`test hook ${h.name} failed on purpose`);
    if (h.behaviour === 'hang') await new Promise(() => undefined);
    if (h.behaviour === 'sleep') await sleep(h.ms);
  };
}
const registered = (spec.hooks ?? []).filter((h) => h.via === 'register');
for (const h of (spec.hooks ?? []).filter((x) => x.via !== 'register')) {
  const cls = class {};
  cls.prototype.onShutdown = hookFn(h);
  Object.defineProperty(cls, 'name', { value: `TestHook_${h.name}` });
  ShutdownHook({ name: h.name, priority: h.priority, timeoutMs: h.timeoutMs })(cls);
  injectable(cls);
}
if (registered.length) {
  class Registrar {
    constructor(shutdown) {
      this.shutdown = shutdown;
    }
    onModuleInit() {
      for (const h of registered)
        this.shutdown.register({ name: h.name, priority: h.priority, timeoutMs: h.timeoutMs, fn: hookFn(h) });
    }
  }
  injectable(Registrar, ShutdownService);
}

class LifecycleTestModule {}
Module({ providers })(LifecycleTestModule);

bootstrap({ imports: [LifecycleTestModule] }).catch((err) => {
  process.stderr.write(`lifecycle-child: ${err.stack}\n`);
  process.exit(1);
});
