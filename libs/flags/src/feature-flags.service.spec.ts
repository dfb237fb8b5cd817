import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule, ConfigStore, loadConfig } from '@mira/config';
import { FeatureFlag } from './feature-flag.decorator';
import { FeatureFlagGuard } from './feature-flag.guard';
import { FeatureFlagsService } from './feature-flags.service';
import { FeatureDisabledError } from './features.error';
import { FlagsModule as FeaturesModule } from './flags.module';

const load = (features: Record<string, unknown>) =>
  loadConfig({ file: null, env: {}, overrides: { features } });

@Controller('gated')
class GatedController {
  @Get()
  @FeatureFlag('beta')
  get(): string {
    return 'ok';
  }
}

@Module({ controllers: [GatedController] })
class GatedModule {}

describe('FeatureFlagsService', () => {
  let store: ConfigStore;
  let flags: FeatureFlagsService;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ preloaded: load({ beta: true, off: false }), isGlobal: true }),
        FeaturesModule,
      ],
    }).compile();
    store = moduleRef.get(ConfigStore);
    flags = moduleRef.get(FeatureFlagsService);
  });

  it('reads flags, unknown flags are off', () => {
    expect(flags.isEnabled('beta')).toBe(true);
    expect(flags.isEnabled('off')).toBe(false);
    expect(flags.isEnabled('never_configured')).toBe(false);
    expect(flags.isEnabled('constructor')).toBe(false);
    expect(flags.all()).toEqual({ beta: true, off: false });
  });

  it('follows a config reload and notifies listeners', () => {
    const seen: [string, boolean][] = [];
    flags.onChange('beta', (enabled, flag) => seen.push([flag, enabled]));
    store.replace(load({ beta: false, off: true }));
    expect(flags.isEnabled('beta')).toBe(false);
    expect(flags.isEnabled('off')).toBe(true);
    expect(seen).toEqual([['beta', false]]);
  });

  it('gates code paths: assertEnabled and whenEnabled', async () => {
    expect(() => flags.assertEnabled('beta')).not.toThrow();
    const err = (() => {
      try {
        flags.assertEnabled('off');
      } catch (e) {
        return e as FeatureDisabledError;
      }
    })();
    expect(err).toBeInstanceOf(FeatureDisabledError);
    expect(err?.code).toBe('FEATURE_DISABLED');
    expect(err?.message).toContain('features.off: true');
    await expect(flags.whenEnabled('beta', () => 'ran', 'skipped')).resolves.toBe('ran');
    await expect(flags.whenEnabled('off', () => 'ran', 'skipped')).resolves.toBe('skipped');
  });
});

describe('FeatureFlagGuard', () => {
  it('answers 404 while the flag is off and passes once a reload turns it on', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ preloaded: load({}), isGlobal: true }), FeaturesModule, GatedModule],
    }).compile();
    const guard = moduleRef.get(FeatureFlagGuard);
    const context = {
      getClass: () => GatedController,
      getHandler: () => GatedController.prototype.get,
    } as never;
    expect(() => guard.canActivate(context)).toThrow(expect.objectContaining({ status: 404 }));
    moduleRef.get(ConfigStore).replace(load({ beta: true }));
    expect(guard.canActivate(context)).toBe(true);
  });
});
