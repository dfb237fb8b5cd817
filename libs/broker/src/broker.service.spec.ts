import { Global, Injectable, Logger, Module, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, ConfigStore, loadConfig } from '@mira/config';
import { ClsContextPropagator } from '@mira/logging';
import { BROKER_CONTEXT_PROPAGATOR, MESSAGE_BROKER } from './broker.constants';
import { BrokerObserverProvider, BrokerTransport } from './broker.decorators';
import { BrokerError } from './broker.error';
import type { BrokerContextPropagator, BrokerMessage, BrokerObserver } from './broker.interface';
import { BrokerModule } from './broker.module';
import { BrokerService } from './broker.service';
import type { BrokerTransportFactory } from './broker-transport.interface';
import { MemoryTransport } from './memory/memory.transport';
import { MemoryTransportFactory } from './memory/memory-transport.factory';

async function waitFor(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

@Injectable()
@BrokerObserverProvider()
class RecordingObserver implements BrokerObserver {
  readonly events: string[] = [];
  onPublished(type: string): void {
    this.events.push(`published ${type}`);
  }
  onDelivered(type: string, group: string): void {
    this.events.push(`delivered ${type} ${group}`);
  }
  onFailed(type: string, group: string): void {
    this.events.push(`failed ${type} ${group}`);
  }
}

@Module({ providers: [RecordingObserver] })
class ObserverModule {}

const propagator: BrokerContextPropagator = {
  inject: jest.fn((headers: Record<string, string>) => ({ ...headers, 'x-request-id': 'req-7' })),
  run: jest.fn(<R>(_headers: Readonly<Record<string, string>>, fn: () => R): R => fn()),
};

@Global()
@Module({
  providers: [{ provide: BROKER_CONTEXT_PROPAGATOR, useValue: propagator }],
  exports: [BROKER_CONTEXT_PROPAGATOR],
})
class PropagatorModule {}

const load = (overrides: Record<string, unknown> = {}) => loadConfig({ file: null, env: {}, overrides });

/** A store whose broker.transport bypasses schema validation (which only knows the shipped names). */
function storeWith(transport: string): ConfigStore {
  const loaded = load();
  const config = { ...loaded.config, broker: { ...loaded.config.broker, transport } };
  return new ConfigStore({ ...loaded, config: config as typeof loaded.config });
}

async function boot(imports: Type[] = [], overrides: Record<string, unknown> = {}): Promise<TestingModule> {
  const builder = Test.createTestingModule({
    imports: [ConfigModule.forRoot({ file: null, env: {}, overrides }), BrokerModule, ...imports],
  });
  // BrokerModule binds the CLS propagator itself; a test propagator replaces it explicitly.
  if (imports.includes(PropagatorModule))
    builder.overrideProvider(BROKER_CONTEXT_PROPAGATOR).useValue(propagator);
  const ref = await builder.compile();
  await ref.init();
  return ref;
}

describe('BrokerService', () => {
  let ref: TestingModule | undefined;
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.clearAllMocks();
  });
  afterEach(async () => {
    await ref?.close();
    ref = undefined;
    jest.restoreAllMocks();
  });

  it('provides MESSAGE_BROKER on the memory transport by default', async () => {
    ref = await boot([], { broker: { queue_size: 7 } });
    const service = ref.get(BrokerService);
    expect(ref.get(MESSAGE_BROKER)).toBe(service);
    expect(service.transport).toBe('memory');
    expect(service.active).toBeInstanceOf(MemoryTransport);
    expect((service.active as MemoryTransport).queueSize).toBe(7);
    expect(await service.health()).toMatchObject({ status: 'healthy', transport: 'memory', connected: true });
    expect(log).toHaveBeenCalledWith('Broker started on the memory transport');
  });

  it('publishes and delivers through the active transport', async () => {
    ref = await boot();
    const service = ref.get(BrokerService);
    const got: BrokerMessage[] = [];
    const sub = await service.subscribe('ping', (m) => void got.push(m), { group: 'g' });
    const id = await service.publish('ping', { n: 1 }, { h: 'v' });
    await waitFor(() => got.length === 1, 'delivery');
    expect(got[0]).toMatchObject({ id, type: 'ping', data: { n: 1 }, headers: { h: 'v' } });
    expect(service.stats()).toMatchObject({ published: 1, delivered: 1 });
    await service.unsubscribe(sub);
    await service.publish('ping', { n: 2 });
    await waitFor(() => service.stats().published === 2 && service.stats().queued === 0, 'dispatch');
    expect(got).toHaveLength(1);
  });

  it('hands the context propagator to the transport (inject at publish, run around handlers)', async () => {
    ref = await boot([PropagatorModule]);
    const service = ref.get(BrokerService);
    const got: BrokerMessage[] = [];
    await service.subscribe('t', (m) => void got.push(m));
    await service.publish('t', {}, { a: 'b' });
    await waitFor(() => got.length === 1, 'delivery');
    expect(propagator.inject).toHaveBeenCalledWith({ a: 'b' });
    expect(propagator.run).toHaveBeenCalledWith({ a: 'b', 'x-request-id': 'req-7' }, expect.any(Function));
    expect(got[0].headers).toEqual({ a: 'b', 'x-request-id': 'req-7' });
  });

  it('notifies every @BrokerObserverProvider provider', async () => {
    ref = await boot([ObserverModule]);
    const service = ref.get(BrokerService);
    const observer = ref.get(RecordingObserver);
    await service.subscribe('ok', () => undefined, { group: 'g1' });
    await service.subscribe('bad', () => Promise.reject(new Error('x')), { group: 'g2' });
    await service.publish('ok', 1);
    await service.publish('bad', 2);
    await waitFor(() => observer.events.length === 4, 'observer events');
    expect(observer.events).toEqual(['published ok', 'published bad', 'delivered ok g1', 'failed bad g2']);
  });

  it('applies broker.queue_size changes live and warns about the rest', async () => {
    ref = await boot();
    const service = ref.get(BrokerService);
    const store = ref.get(ConfigStore);
    store.replace(load({ broker: { queue_size: 3 } }));
    expect((service.active as MemoryTransport).queueSize).toBe(3);
    expect(log).toHaveBeenCalledWith('Applied broker change live: broker.queue_size');

    store.replace(load({ broker: { queue_size: 3, max_attempts: 9 } }));
    expect(warn).toHaveBeenCalledWith(
      'Broker settings changed (broker.max_attempts); this change takes effect after a restart',
    );
    // A change outside the broker section is not the broker's business.
    warn.mockClear();
    store.replace(
      load({ broker: { queue_size: 3, max_attempts: 9 }, governance: { financial_threshold: 1 } }),
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('drains in-flight handlers before stopping when the application shuts down', async () => {
    ref = await boot();
    const service = ref.get(BrokerService);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    await service.subscribe('slow', async () => {
      await held;
      finished = true;
    });
    await service.publish('slow', {});
    await waitFor(() => service.stats().in_flight === 1, 'in flight');
    const closing = ref.close();
    ref = undefined;
    // Shutdown hooks run asynchronously: wait until the drain has closed intake.
    let accepting: unknown = true;
    const deadline = Date.now() + 10_000;
    while (accepting !== false && Date.now() < deadline) {
      accepting = (await service.health()).details?.accepting;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(accepting).toBe(false);
    expect(service.stats().in_flight).toBe(1);
    await expect(service.publish('slow', {})).rejects.toMatchObject({ code: 'BROKER_STOPPED' });
    release();
    await closing;
    expect(finished).toBe(true);
    expect(service.stats()).toMatchObject({ delivered: 1, in_flight: 0, dropped: 0 });
    expect(await service.health()).toMatchObject({ status: 'unhealthy', connected: false });
    await service.stop(); // idempotent
  });

  it('fails at init with a clear BrokerError for an unknown transport name', async () => {
    const store = storeWith('nats');
    @Global()
    @Module({ providers: [{ provide: ConfigStore, useValue: store }], exports: [ConfigStore] })
    class FakeConfigModule {}
    const module = await Test.createTestingModule({ imports: [FakeConfigModule, BrokerModule] }).compile();
    const err = await module.init().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toMatchObject({ code: 'BROKER_UNKNOWN_TRANSPORT' });
    expect((err as Error).message).toMatch(
      /^broker\.transport: no transport named "nats" \(available: .*memory.*\)/,
    );
    expect((err as Error).message).toContain('import the module that provides it or fix the config');
    await module.close().catch(() => undefined);
  });

  it('answers safely before init: stats are zero, health unhealthy, use is refused', async () => {
    const service = new BrokerService(new ConfigStore(load()), {} as DiscoveryService);
    expect(service.stats()).toEqual({
      published: 0,
      delivered: 0,
      failed: 0,
      in_flight: 0,
      queued: 0,
      dropped: 0,
    });
    expect(await service.health()).toEqual({
      status: 'unhealthy',
      transport: 'memory',
      connected: false,
      reason: 'broker not started',
    });
    expect(() => service.active).toThrow(BrokerError);
    expect(() => service.active).toThrow(/Broker is not started yet/);
    await service.stop();
    await service.onApplicationShutdown();
  });

  it('picks a transport declared by another module through @BrokerTransport', async () => {
    const fake = new MemoryTransport({ queueSize: 2 });
    Object.defineProperty(fake, 'transport', { value: 'fake' });
    const create = jest.fn(() => fake);
    @Injectable()
    @BrokerTransport('fake')
    class FakeTransportFactory implements BrokerTransportFactory {
      create = create;
    }
    @Module({ providers: [FakeTransportFactory] })
    class FakeTransportModule {}

    const store = storeWith('fake');
    @Global()
    @Module({ providers: [{ provide: ConfigStore, useValue: store }], exports: [ConfigStore] })
    class FakeConfigModule {}
    ref = await Test.createTestingModule({
      imports: [FakeConfigModule, BrokerModule, FakeTransportModule],
    }).compile();
    await ref.init();
    const service = ref.get(BrokerService);
    expect(service.active).toBe(fake);
    expect(service.transport).toBe('fake');
    expect(create).toHaveBeenCalledWith({
      config: store.current,
      propagator: expect.any(ClsContextPropagator),
      observers: [],
    });
    // Without a reconfigure hook, any broker change asks for a restart.
    store.replace({
      ...load(),
      config: { ...store.current, broker: { ...store.current.broker, queue_size: 9 } },
    });
    expect(warn).toHaveBeenCalledWith(
      'Broker settings changed (broker.queue_size); this change takes effect after a restart',
    );
    expect(fake.queueSize).toBe(2);
  });

  it('memory factory: builds from config and reconfigures only memory transports', async () => {
    const factory = new MemoryTransportFactory();
    const created = factory.create({
      config: load({ broker: { queue_size: 4 } }).config,
      propagator: null,
      observers: [],
    });
    expect(created).toBeInstanceOf(MemoryTransport);
    expect((created as MemoryTransport).queueSize).toBe(4);
    expect(factory.reconfigure(created, load({ broker: { queue_size: 6 } }).config.broker)).toBe(true);
    expect((created as MemoryTransport).queueSize).toBe(6);
    expect(factory.reconfigure({ transport: 'other' } as never, load().config.broker)).toBe(false);
    await created.stop();
  });
});
