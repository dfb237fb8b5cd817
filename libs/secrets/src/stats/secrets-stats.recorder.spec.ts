import type { CircuitState, SecretsMetricsSink } from '../secrets.interface';
import { SecretsStatsRecorder, type CachedSecretState } from './secrets-stats.recorder';

function sink() {
  const calls: unknown[][] = [];
  const metrics: SecretsMetricsSink = {
    refresh: (...a) => void calls.push(['refresh', ...a]),
    lastRefresh: (backend, seconds) => void calls.push(['lastRefresh', backend, typeof seconds]),
    circuitState: (backend: string, state: CircuitState) => void calls.push(['circuit', backend, state]),
    stale: (...a) => void calls.push(['stale', ...a]),
  };
  return { calls, metrics };
}

const entry = (over: Partial<CachedSecretState>): CachedSecretState => ({
  name: 'db',
  key: 'password',
  fetchedAt: 0,
  staleSince: null,
  lastError: null,
  ...over,
});

describe('SecretsStatsRecorder', () => {
  it('counts backend calls and refresh results, and feeds the metrics sink', () => {
    const { calls, metrics } = sink();
    const stats = new SecretsStatsRecorder('vault', metrics);
    stats.backendCall();
    stats.backendCall();
    stats.refresh('failed');
    stats.refresh('ok');
    stats.stale(2);
    expect(calls).toEqual([
      ['refresh', 'vault', 'failed'],
      ['refresh', 'vault', 'ok'],
      ['lastRefresh', 'vault', 'number'],
      ['stale', 'vault', 2],
    ]);
    const snap = stats.snapshot([]);
    expect(snap).toMatchObject({
      backend: 'vault',
      backendCalls: 2,
      cached: 0,
      stale: 0,
      oldestStaleAgeSeconds: null,
      staleSecrets: [],
      refreshes: { ok: 1, failed: 1 },
    });
    expect(Date.parse(snap.lastRefreshAt!)).not.toBeNaN();
  });

  it('names each stale secret with its reason and the age of the oldest, without a sink', () => {
    const stats = new SecretsStatsRecorder('file');
    const snap = stats.snapshot(
      [
        entry({ fetchedAt: 9_000 }),
        entry({ name: 'api', key: undefined, fetchedAt: 4_000, staleSince: 8_000, lastError: 'gone' }),
        entry({ key: 'user', fetchedAt: 7_000, staleSince: 9_000, lastError: 'a directory' }),
      ],
      10_000,
    );
    expect(snap).toMatchObject({
      cached: 3,
      stale: 2,
      oldestStaleAgeSeconds: 6,
      lastRefreshAt: null,
      staleSecrets: [
        { ref: 'secret://api', reason: 'gone' },
        { ref: 'secret://db:user', reason: 'a directory' },
      ],
    });
  });
});
