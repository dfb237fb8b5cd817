import { Logger, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { BrokerModule } from '@mira/broker';
import { ConfigModule } from '@mira/config';
import { StateModule } from '@mira/state';
import { AgentsModule } from './agents.module';
import { Clock } from './clock.service';

/** Polls `probe` until it returns a value (spec helper; kept out of the build like other *.testing.ts). */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The agents module as the app wires it (config, broker, an in-memory sqlite store), with the
 * clock replaced by `clock`, initialised. Spec helper.
 */
export async function bootAgentsModule(options: {
  clock: { now: () => Date };
  overrides?: Record<string, unknown>;
  imports?: Type[];
  /** Modules imported before AgentsModule (a root module that lists its own first). */
  importsFirst?: Type[];
}): Promise<TestingModule> {
  const ref = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        file: null,
        env: {},
        overrides: { state: { sqlite: { path: ':memory:' } }, ...options.overrides },
      }),
      BrokerModule,
      StateModule.fromConfig(),
      ...(options.importsFirst ?? []),
      AgentsModule,
      ...(options.imports ?? []),
    ],
  })
    .overrideProvider(Clock)
    .useValue(options.clock)
    .compile();
  await ref.init();
  return ref;
}

/**
 * For a describe block whose tests boot the module: silences the Logger during each test and
 * closes what `current` answers (the last boot) after it.
 */
export function useQuietBoot(current: () => { ref: { close(): Promise<void> } } | undefined): void {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await current()?.ref.close();
    jest.restoreAllMocks();
  });
}
