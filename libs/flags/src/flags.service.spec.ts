import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { GeneralError, InMemoryProvider, type Provider } from '@openfeature/server-sdk';
import { ConfigModule, ConfigStore, loadConfig } from '@mira/config';
import { FlagProvider } from './flag-provider.decorator';
import { runWithFlagContext } from './flags-context';
import { FlagsModule } from './flags.module';
import { FlagsService } from './flags.service';

const load = (features: Record<string, unknown>) =>
  loadConfig({ file: null, env: {}, overrides: { features } });

const rules = (defaultVariant: string) => ({
  flags: {
    'workflow.step.variant': { variants: { v1: 'v1', v2: 'v2' }, defaultVariant },
    'agent.x.enabled': {
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ in: ['admin', { var: 'roles' }] }, 'on', null] },
    },
  },
});

async function boot(features: Record<string, unknown>, imports: unknown[] = []): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ preloaded: load(features), isGlobal: true }),
      FlagsModule,
      ...(imports as []),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('FlagsService', () => {
  it('keeps a pinned variant for resumed work after the flag moves', async () => {
    const moduleRef = await boot(rules('v1'));
    const flags = moduleRef.get(FlagsService);
    const started = flags.variantFor('workflow.step.variant', 'v1');
    expect(started).toEqual({ variant: 'v1', value: 'v1', pinned: false });
    moduleRef.get(ConfigStore).replace(load(rules('v2')));
    expect(flags.variantFor('workflow.step.variant', 'v1', {}, started.variant)).toEqual({
      variant: 'v1',
      value: 'v1',
      pinned: true,
    });
    expect(flags.variantFor('workflow.step.variant', 'v1')).toMatchObject({ variant: 'v2', pinned: false });
    // A pinned variant the flag no longer has is re-evaluated rather than served.
    expect(flags.variantFor('workflow.step.variant', 'v1', {}, 'v0')).toMatchObject({
      variant: 'v2',
      pinned: false,
    });
    await moduleRef.close();
  });

  it('reads roles and targetingKey from the request / message context', async () => {
    const moduleRef = await boot(rules('v1'));
    const flags = moduleRef.get(FlagsService);
    expect(flags.isEnabled('agent.x.enabled')).toBe(false);
    runWithFlagContext({ targetingKey: 'ops', roles: ['admin'] }, () => {
      expect(flags.isEnabled('agent.x.enabled')).toBe(true);
      expect(flags.contextFor()).toMatchObject({
        targetingKey: 'ops',
        roles: ['admin'],
        version: expect.any(String),
      });
    });
    await moduleRef.close();
  });

  it('notifies listeners of changed keys on a reload', async () => {
    const moduleRef = await boot(rules('v1'));
    const flags = moduleRef.get(FlagsService);
    const seen: string[][] = [];
    flags.onChange((keys) => seen.push([...keys]));
    moduleRef.get(ConfigStore).replace(load(rules('v2')));
    expect(seen).toEqual([['workflow.step.variant']]);
    await moduleRef.close();
  });
});

/** A remote provider that is down: every evaluation fails. */
class DownProvider implements Provider {
  readonly metadata = { name: 'remote-down' };
  readonly runsOn = 'server' as const;
  private fail(): never {
    throw new GeneralError('connection refused');
  }
  resolveBooleanEvaluation = async () => this.fail();
  resolveStringEvaluation = async () => this.fail();
  resolveNumberEvaluation = async () => this.fail();
  resolveObjectEvaluation = async () => this.fail();
}

@Injectable()
@FlagProvider({ order: 1 })
class InMemoryFlags extends InMemoryProvider {
  constructor() {
    super({
      'inbox.dark_mode': { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false },
    });
  }
}

@Injectable()
@FlagProvider({ order: 0 })
class RemoteFlags {
  readonly provider = new DownProvider();
}

@Module({ providers: [InMemoryFlags, RemoteFlags] })
class PluginModule {}

describe('plugin flag providers', () => {
  it('asks plugin providers first and falls back to the config provider when they fail', async () => {
    const moduleRef = await boot(
      { flags: { 'from.config': { variants: { a: 'a', b: 'b' }, defaultVariant: 'b' } } },
      [PluginModule],
    );
    const flags = moduleRef.get(FlagsService);
    await expect(flags.evaluate('inbox.dark_mode', {}, 'boolean')).resolves.toMatchObject({ value: true });
    await expect(flags.evaluate('from.config')).resolves.toMatchObject({ value: 'b', variant: 'b' });
    await moduleRef.close();
  });
});
