import { ConfigStore, loadConfig } from '@mira/config';
import { ApiKeyService } from './api-key.service';
import type { BearerJwtResolver } from './bearer-jwt.resolver';
import { IdentityResolvers } from './identity-resolvers';
import { isJsonContentType } from './content-type.policy';
import { EdgeClock } from './edge-clock';
import { RotatingKeySet } from '@mira/webhooks';
import { routeGroup } from './route-group';
import type { RuntimeEnvironment } from './runtime-environment';

describe('RotatingKeySet', () => {
  it('keeps replaced values for the grace period only, and never a secret:// reference', () => {
    let now = 1000;
    const set = new RotatingKeySet(() => now);
    set.update(['a', 'secret://api:key', null, ''], 500);
    expect(set.values()).toEqual(['a']);
    set.update(['b'], 500);
    expect(set.values()).toEqual(['b', 'a']);
    now = 1499;
    expect(set.values()).toEqual(['b', 'a']);
    now = 1500;
    expect(set.values()).toEqual(['b']);
    set.update(['c'], 0);
    expect(set.values()).toEqual(['c']);
  });
});

describe('ApiKeyService and the auth mode', () => {
  const make = (api: Record<string, unknown>, production = false) => {
    const store = new ConfigStore(loadConfig({ file: null, env: {}, overrides: { api } }));
    const runtime = { isProduction: production } as RuntimeEnvironment;
    const clock = new EdgeClock();
    const service = new ApiKeyService(store, clock);
    const resolvers = new IdentityResolvers(service, {} as BearerJwtResolver, store, runtime);
    return { store, service, resolvers, clock };
  };

  it('matches any configured key by hash and reports a non-secret id', () => {
    const { service, resolvers } = make({ keys: ['alpha-key', 'beta-key'] });
    expect(resolvers.mode).toBe('enforced');
    const a = service.match('alpha-key');
    const b = service.match('beta-key');
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
    expect(a).not.toContain('alpha');
    expect(service.match('alpha-key ')).toBeNull();
    expect(service.match('')).toBeNull();
  });

  it('reads Bearer and X-API-Key', () => {
    expect(ApiKeyService.presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(ApiKeyService.presentedKey({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(ApiKeyService.presentedKey({ authorization: 'Basic abc' })).toBeNull();
    expect(ApiKeyService.presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(ApiKeyService.presentedKey({})).toBeNull();
  });

  it('is open without keys, closed in production, refuses to start there, and honours auth: disabled', () => {
    expect(make({ keys: [] }).resolvers.mode).toBe('open');
    const prod = make({ keys: [] }, true).resolvers;
    expect(prod.mode).toBe('closed');
    expect(() => prod.onApplicationBootstrap()).toThrow(
      /api\.keys is empty while NODE_ENV=production.*api\.auth: disabled/,
    );
    const disabled = make({ keys: [], auth: 'disabled' }, true).resolvers;
    expect(disabled.mode).toBe('disabled');
    expect(() => disabled.onApplicationBootstrap()).not.toThrow();
  });

  it('follows reloads, with the configured grace for removed keys', () => {
    const { store, service, clock } = make({ keys: ['old'], rotation_grace_seconds: 60 });
    let now = 0;
    jest.spyOn(clock, 'now').mockImplementation(() => now);
    store.replace(
      loadConfig({ file: null, env: {}, overrides: { api: { keys: ['new'], rotation_grace_seconds: 60 } } }),
    );
    expect(service.match('new')).not.toBeNull();
    expect(service.match('old')).not.toBeNull();
    now = 60_001;
    expect(service.match('old')).toBeNull();
  });
});

describe('edge helpers', () => {
  it('decides the route group from the matched route, not the raw URL', () => {
    expect(routeGroup({ url: '/%61pi/v1/x', routeOptions: { url: '/api/v1/x' } })).toBe('api');
    expect(routeGroup({ url: '/webhooks/github?x=1' })).toBe('webhooks');
    expect(routeGroup({ url: '/metrics' })).toBe('metrics');
    expect(routeGroup({ url: '/healthz/live' })).toBe('health');
    expect(routeGroup({ url: '/healthzz' })).toBeNull();
    expect(routeGroup({ url: '/apix' })).toBeNull();
  });
  it('accepts application/json with parameters only', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/jsonx')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
