import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ProcessSignals, type FatalOrigin } from './process-signals.provider';
import { ShutdownHook } from './shutdown.decorator';
import { ShutdownError } from './shutdown.error';
import type { OnShutdown, ShutdownModuleOptions } from './shutdown.interface';
import { ShutdownModule } from './shutdown.module';
import { ShutdownService } from './shutdown.service';

/** Records what the service would do to the process instead of doing it. */
class FakeProcess extends ProcessSignals {
  signalHandler: ((s: NodeJS.Signals) => void) | null = null;
  fatalHandler: ((e: unknown, o: FatalOrigin) => void) | null = null;
  exits: number[] = [];
  detached = 0;
  override onSignals(_s: readonly NodeJS.Signals[], h: (s: NodeJS.Signals) => void): () => void {
    this.signalHandler = h;
    return () => this.detached++;
  }
  override onFatal(h: (e: unknown, o: FatalOrigin) => void): () => void {
    this.fatalHandler = h;
    return () => this.detached++;
  }
  override exit(code: number): void {
    this.exits.push(code);
  }
}

const noDiscovery = { getProviders: () => [], getMetadataByDecorator: () => undefined } as never;

function make(options: ShutdownModuleOptions = {}) {
  const proc = new FakeProcess();
  const service = new ShutdownService(noDiscovery, proc, { drainDelayMs: 0, ...options });
  return { service, proc };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ShutdownService', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it.each([-1, 101, 1.5, Number.NaN, '5' as unknown as number, undefined as unknown as number])(
    'rejects priority %p with a ShutdownError naming the range',
    (priority) => {
      const { service } = make();
      try {
        service.register({ name: 'x', priority, fn: () => undefined });
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(ShutdownError);
        expect((err as ShutdownError).code).toBe('SHUTDOWN_INVALID_PRIORITY');
        expect((err as Error).message).toMatch(/"x".*0-100/);
      }
    },
  );

  it('accepts the band edges 0 and 100', () => {
    const { service } = make();
    expect(() => service.register({ name: 'a', priority: 0, fn: () => 1 })).not.toThrow();
    expect(() => service.register({ name: 'b', priority: 100, fn: () => 1 })).not.toThrow();
  });

  it.each([null, 'close', {}, 42])('rejects a non-function hook %p', (fn) => {
    const { service } = make();
    expect(() => service.register({ name: 'bad', priority: 10, fn: fn as never })).toThrow(
      expect.objectContaining({ code: 'SHUTDOWN_INVALID_HOOK', message: expect.stringContaining('"bad"') }),
    );
  });

  it('rejects an empty name and a non-positive timeout', () => {
    const { service } = make();
    expect(() => service.register({ name: '', priority: 1, fn: () => 1 })).toThrow(ShutdownError);
    expect(() => service.register({ name: 't', priority: 1, timeoutMs: 0, fn: () => 1 })).toThrow(
      expect.objectContaining({ code: 'SHUTDOWN_INVALID_TIMEOUT' }),
    );
  });

  it('runs by priority, FIFO on ties, and unregister takes a hook back', async () => {
    const { service } = make();
    const order: string[] = [];
    const add = (name: string, priority: number) =>
      service.register({ name, priority, fn: () => void order.push(name) });
    add('c50', 50);
    add('a10-first', 10);
    const gone = add('gone', 10);
    add('a10-second', 10);
    add('b0', 0);
    add('a10-third', 10);
    expect(gone.unregister()).toBe(true);
    expect(gone.unregister()).toBe(false);
    const result = await service.run('test');
    expect(order).toEqual(['b0', 'a10-first', 'a10-second', 'a10-third', 'c50']);
    expect(result.exitCode).toBe(0);
    expect(result.hooks.map((h) => h.name)).toEqual([
      'b0',
      'drain-delay',
      'a10-first',
      'a10-second',
      'a10-third',
      'c50',
    ]);
  });

  it('cuts a throwing and a hanging hook, runs the others, exits 1', async () => {
    const { service, proc } = make({ hookTimeoutMs: 50 });
    const ran: string[] = [];
    let aborted = false;
    service.register({
      name: 'throws',
      priority: 10,
      fn: () => {
        throw new Error('boom');
      },
    });
    service.register({
      name: 'hangs',
      priority: 11,
      fn: (ctx) => {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return new Promise(() => undefined);
      },
    });
    service.register({ name: 'rejects', priority: 12, fn: () => Promise.reject(new Error('nope')) });
    service.register({ name: 'after', priority: 20, fn: () => void ran.push('after') });
    const result = await service.run('SIGTERM', { exit: true });
    expect(ran).toEqual(['after']);
    expect(aborted).toBe(true);
    const outcome = Object.fromEntries(result.hooks.map((h) => [h.name, h.outcome]));
    expect(outcome).toMatchObject({
      throws: 'failed',
      hangs: 'timed_out',
      rejects: 'failed',
      after: 'completed',
    });
    expect(result.exitCode).toBe(1);
    expect(proc.exits).toEqual([1]);
  });

  it('enforces the whole deadline: the running hook is cut, later ones skipped, exit 1', async () => {
    const { service } = make({ timeoutMs: 600, hookTimeoutMs: 10_000 });
    const ran: string[] = [];
    service.register({ name: 'slow', priority: 10, fn: () => new Promise((r) => setTimeout(r, 50)) });
    service.register({ name: 'hang', priority: 11, fn: () => new Promise(() => undefined) });
    service.register({ name: 'late', priority: 12, fn: () => void ran.push('late') });
    const started = Date.now();
    const result = await service.run('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.deadlineExceeded).toBe(true);
    expect(result.exitCode).toBe(1);
    expect(result.hooks.find((h) => h.name === 'hang')?.outcome).toBe('timed_out');
    expect(result.hooks.find((h) => h.name === 'late')?.outcome).toBe('skipped');
    expect(ran).toEqual([]);
  });

  it('gives the drain delay its own budget and waits it', async () => {
    const { service } = make({ drainDelayMs: 80, hookTimeoutMs: 10 });
    const result = await service.run('SIGTERM');
    const delay = result.hooks.find((h) => h.name === 'drain-delay');
    expect(delay?.outcome).toBe('completed');
    expect(delay!.duration_ms).toBeGreaterThanOrEqual(70);
  });

  it('runs once: a second run returns the same result and a second signal is only logged', async () => {
    const { service, proc } = make();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    let count = 0;
    let release!: () => void;
    service.register({
      name: 'once',
      priority: 5,
      fn: () => new Promise<void>((r) => ((release = r), count++)),
    });
    service.attach({ close: async () => undefined });
    proc.signalHandler!('SIGTERM');
    await until(() => count === 1);
    proc.signalHandler!('SIGINT');
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/Received SIGINT while already shutting down \(SIGTERM\)/),
    );
    const again = service.run('again');
    release();
    const [a, b] = await Promise.all([again, service.run('third')]);
    expect(a).toBe(b);
    expect(a.reason).toBe('SIGTERM');
    expect(count).toBe(1);
    expect(proc.exits).toEqual([0]);
    expect(proc.detached).toBe(2);
    expect(service.state).toBe('stopped');
    expect(() => service.register({ name: 'late', priority: 1, fn: () => 1 })).toThrow(
      expect.objectContaining({ code: 'SHUTDOWN_IN_PROGRESS' }),
    );
    warn.mockRestore();
  });

  it('a fatal error is logged with its stack, then an orderly shutdown exits 1', async () => {
    const { service, proc } = make();
    const error = jest.spyOn(Logger.prototype, 'error');
    const closed: string[] = [];
    service.register({ name: 'cleanup', priority: 20, fn: () => void closed.push('cleanup') });
    service.attach({ close: async () => void closed.push('nest') });
    proc.fatalHandler!(new Error('kaboom'), 'uncaughtException');
    await until(() => proc.exits.length === 1);
    expect(error).toHaveBeenCalledWith(
      'Fatal uncaughtException: kaboom',
      expect.stringContaining('kaboom\n    at'),
    );
    expect(closed).toEqual(['cleanup', 'nest']);
    expect(proc.exits).toEqual([1]);
    error.mockRestore();
  });

  it('notifies start listeners before any hook runs', async () => {
    const { service } = make();
    const events: string[] = [];
    service.onStart((reason) => events.push(`start:${reason}`));
    service.register({ name: 'h', priority: 0, fn: () => void events.push('hook') });
    await service.run('SIGTERM');
    expect(events).toEqual(['start:SIGTERM', 'hook']);
  });
});

describe('ShutdownModule discovery', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('registers @ShutdownHook providers and runs them on app.close()', async () => {
    const calls: string[] = [];
    @Injectable()
    @ShutdownHook({ name: 'second', priority: 30 })
    class Second implements OnShutdown {
      onShutdown() {
        calls.push('second');
      }
    }
    @Injectable()
    @ShutdownHook({ name: 'first', priority: 0 })
    class First implements OnShutdown {
      onShutdown(ctx: { reason: string }) {
        calls.push(`first:${ctx.reason}`);
      }
    }
    @Module({ providers: [Second, First] })
    class HooksModule {}
    const ref = await Test.createTestingModule({
      imports: [ShutdownModule.forRoot({ drainDelayMs: 0 }), HooksModule],
    }).compile();
    const app = await ref.init();
    expect(
      app
        .get(ShutdownService)
        .list()
        .map((h) => h.name),
    ).toEqual(['first', 'drain-delay', 'http-server', 'second']);
    await app.close();
    expect(calls).toEqual(['first:application close', 'second']);
  });

  it('after attach(), an outside app.close() runs the hooks once without waiting on its own close', async () => {
    const ref = await Test.createTestingModule({
      imports: [ShutdownModule.forRoot({ drainDelayMs: 0, hookTimeoutMs: 4000 })],
    })
      .overrideProvider(ProcessSignals)
      .useValue(new FakeProcess())
      .compile();
    const app = await ref.init();
    const service = app.get(ShutdownService);
    service.attach(app);
    const ran: string[] = [];
    service.register({ name: 'cleanup', priority: 20, fn: () => void ran.push('cleanup') });
    const started = Date.now();
    await app.close();
    // Before the fix the nest-application hook waited on Nest's in-flight close until its timeout.
    expect(Date.now() - started).toBeLessThan(3000);
    const result = await service.run('again'); // the same, finished run
    expect(ran).toEqual(['cleanup']);
    expect(result.hooks.find((h) => h.name === 'nest-application')?.outcome).toBe('completed');
    expect(result.exitCode).toBe(0);
  });

  it('fails at start when a marked provider has no onShutdown()', async () => {
    @Injectable()
    @ShutdownHook({ name: 'broken', priority: 3 })
    class Broken {}
    const ref = await Test.createTestingModule({
      imports: [ShutdownModule.forRoot({}), { module: class M {}, providers: [Broken] }],
    }).compile();
    await expect(ref.init()).rejects.toThrow(/has no onShutdown\(\)/);
  });

  it('fails at start when a marked provider has a bad priority', async () => {
    @Injectable()
    @ShutdownHook({ name: 'odd', priority: 500 })
    class Odd implements OnShutdown {
      onShutdown() {}
    }
    const ref = await Test.createTestingModule({
      imports: [ShutdownModule.forRoot({}), { module: class N {}, providers: [Odd] }],
    }).compile();
    await expect(ref.init()).rejects.toThrow(ShutdownError);
  });
});
