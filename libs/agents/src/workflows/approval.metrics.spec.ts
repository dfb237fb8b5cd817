import { MetricsService } from '@mira/metrics';
import { SqliteStateStore, dataHash, type NewWorkflowRecord } from '@mira/state';
import { ApprovalMetrics } from './approval.metrics';

const record = (id: string, created: string, expires: string | null): NewWorkflowRecord => ({
  workflow_id: id,
  workflow_type: 'project_initialization',
  status: 'pending_approval',
  requested_by: 'key:alice',
  requested_by_name: 'alice',
  created_at: created,
  data: {},
  data_hash: dataHash({}),
  policy: null,
  governance: null,
  risk_level: 'high',
  reasons: [],
  approvals_required: 1,
  decisions: [],
  expires_at: expires,
  steps: [],
  lease_owner: null,
  lease_expires_at: null,
  idempotency_key: null,
  request_hash: null,
});

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
