import type { ConnectorRegistry } from './connectors/connector.registry';
import { ProjectsHealth } from './projects.health';
import type { ConnectorState, SyncService } from './sync/sync.service';

describe('ProjectsHealth (connector_<kind>)', () => {
  const states = new Map<string, ConnectorState>();
  const syncs = {
    stateOf: (k: string) => states.get(k) ?? { failing: new Map(), remaining: null },
  } as unknown as SyncService;
  const health = new ProjectsHealth({ kinds: () => ['github'] } as unknown as ConnectorRegistry, syncs);

  it('is healthy with no failure and calls left', () => {
    states.set('github', { failing: new Map(), remaining: 4000 });
    expect(health.check('github')).toEqual({
      status: 'healthy',
      reason: null,
      failing: [],
      rate_limit_remaining: 4000,
    });
  });

  it('is degraded, naming the source, when a sync failed or the rate limit is exhausted', () => {
    states.set('github', {
      failing: new Map([
        ['launch/github:acme/api', 'github: the tracker answered 401 (the credential is missing or wrong)'],
      ]),
      remaining: 0,
    });
    const r = health.check('github');
    expect(r.status).toBe('degraded');
    expect(r.reason).toBe('last sync of launch/github:acme/api failed; github rate limit exhausted');
  });
});
