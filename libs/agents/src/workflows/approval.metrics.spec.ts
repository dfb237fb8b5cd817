import { MetricsService } from '@mira/metrics';
import { SqliteStateStore } from '@mira/state';
import { bareRecord } from '../../../state/src/state.engines.testing';
import { ApprovalMetrics } from './approval.metrics';

const record = (id: string, created: string, expires: string | null) =>
  bareRecord({ workflow_id: id, created_at: created, expires_at: expires });

describe('ApprovalMetrics: oldest pending', () => {
  it('is the oldest by creation, also when it never expires or expires later than a younger one', async () => {
    const store = SqliteStateStore.open(':memory:');
    const metrics = new MetricsService({ defaultMetrics: false });
    new ApprovalMetrics(store, metrics);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    // Held with no expiry (approval TTL off) an hour ago; a younger one expires soon.
    await store.createWorkflow(record('old', hourAgo, null), []);
    await store.createWorkflow(record('young', minuteAgo, new Date(Date.now() + 60_000).toISOString()), []);
    const text = await metrics.render();
    const age = Number(/^mira_approvals_oldest_pending_age_seconds (\S+)$/m.exec(text)![1]);
    expect(age).toBeGreaterThanOrEqual(3600);
    expect(age).toBeLessThan(3700);
    await store.close();
  });
});
