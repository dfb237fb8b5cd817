import { ProviderEvents } from '@openfeature/server-sdk';
import { ConfigFlagProvider } from './config-flag.provider';
import { flagDefinitionSchema, type FlagDefinition } from './flags.config';

const bool = (extra: Partial<FlagDefinition> = {}): FlagDefinition => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  ...extra,
});

describe('ConfigFlagProvider (flagd format, evaluated by flagd-core)', () => {
  let provider: ConfigFlagProvider;
  beforeEach(() => {
    provider = new ConfigFlagProvider();
  });

  it('serves the default variant when there is no targeting (STATIC)', async () => {
    provider.load({ plain: bool({ defaultVariant: 'on' }) });
    await expect(provider.resolveBooleanEvaluation('plain', false, {})).resolves.toMatchObject({
      value: true,
      variant: 'on',
      reason: 'STATIC',
    });
  });

  it('splits by fractional, sticky per targeting key and within 2 % of 20 % over 10,000 keys', () => {
    provider.load({
      canary: bool({
        targeting: {
          fractional: [
            ['on', 20],
            ['off', 80],
          ],
        },
      }),
    });
    let on = 0;
    for (let i = 0; i < 10_000; i++)
      if (provider.resolve('boolean', 'canary', false, { targetingKey: `user-${i}` }).value) on++;
    expect(on / 10_000).toBeGreaterThanOrEqual(0.18);
    expect(on / 10_000).toBeLessThanOrEqual(0.22);
    const first = provider.resolve('boolean', 'canary', false, { targetingKey: 'user-42' });
    for (let i = 0; i < 20; i++)
      expect(provider.resolve('boolean', 'canary', false, { targetingKey: 'user-42' }).value).toBe(
        first.value,
      );
    expect(first.reason).toBe('TARGETING_MATCH');
  });

  it('targets by role (an array in the context)', () => {
    provider.load({
      admins: bool({ targeting: { if: [{ in: ['admin', { var: 'roles' }] }, 'on', null] } }),
    });
    expect(provider.resolve('boolean', 'admins', false, { roles: ['reader', 'admin'] })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
    });
    expect(provider.resolve('boolean', 'admins', false, { roles: ['reader'] })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
    });
  });

  it('compares versions with sem_ver and prefixes with starts_with', () => {
    provider.load({
      newer: bool({ targeting: { if: [{ sem_ver: [{ var: 'version' }, '>=', '1.4.0'] }, 'on', 'off'] } }),
      replica: bool({
        targeting: { if: [{ starts_with: [{ var: 'replica' }, 'mira-canary-'] }, 'on', 'off'] },
      }),
    });
    expect(provider.resolve('boolean', 'newer', false, { version: '1.10.2' }).value).toBe(true);
    expect(provider.resolve('boolean', 'newer', false, { version: '1.3.9' }).value).toBe(false);
    expect(provider.resolve('boolean', 'replica', false, { replica: 'mira-canary-0' }).value).toBe(true);
    expect(provider.resolve('boolean', 'replica', false, { replica: 'mira-7f9c' }).value).toBe(false);
  });

  it('a DISABLED flag answers the caller default, as flagd does', () => {
    provider.load({ off: bool({ state: 'DISABLED', defaultVariant: 'on' }) });
    expect(provider.resolve('boolean', 'off', false, {})).toMatchObject({ value: false, reason: 'DISABLED' });
  });

  it('an unknown flag is FLAG_NOT_FOUND with the caller default', () => {
    provider.load({});
    expect(provider.resolve('string', 'nope', 'dflt', {})).toMatchObject({
      value: 'dflt',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(provider.typeOf('constructor')).toBeUndefined();
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED with the changed keys only', () => {
    const seen: unknown[] = [];
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, (d) => seen.push(d?.flagsChanged));
    provider.load({ a: bool(), b: bool() });
    provider.load({ a: bool(), b: bool({ defaultVariant: 'on' }) });
    provider.load({ a: bool(), b: bool({ defaultVariant: 'on' }) });
    expect(seen).toEqual([['a', 'b'], ['b']]);
  });
});

describe('flag definition validation', () => {
  const issues = (def: unknown) => {
    const r = flagDefinitionSchema.safeParse(def);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('names the JSON Logic path of an unknown operator', () => {
    expect(issues(bool({ targeting: { if: [{ frobnicate: [1] }, 'on', null] } }))).toEqual([
      'targeting.if.0.frobnicate: targeting.if[0].frobnicate: unknown JSON Logic operator "frobnicate"',
    ]);
  });

  it('refuses a default variant that is not a variant, and mixed variant types', () => {
    expect(issues(bool({ defaultVariant: 'maybe' }))[0]).toContain(
      '"maybe" is not one of the variants (on, off)',
    );
    expect(issues({ variants: { a: 'x', b: 2 }, defaultVariant: 'a' })[0]).toContain('one type');
  });

  it('accepts the flagd operators', () => {
    expect(
      issues(
        bool({
          targeting: {
            if: [
              {
                and: [
                  { starts_with: [{ var: 'email' }, 'a'] },
                  { sem_ver: [{ var: 'version' }, '^', '1.0.0'] },
                ],
              },
              {
                fractional: [
                  ['on', 50],
                  ['off', 50],
                ],
              },
              null,
            ],
          },
        }),
      ),
    ).toEqual([]);
  });
});
