import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigStore, loadConfig, type MiraConfigInput } from '@mira/config';
import { MetricsService } from '@mira/metrics';
import { SqliteStateStore } from '@mira/state';
import { bareRecord } from '../../state/src/state.engines.testing';
import { GovernanceAuditAnchor } from './governance.audit-anchor';
import { GovernanceAuditKeys } from './governance.audit-key';
import './agents.config';

const KEY = 'anchor-test-key-0123456789abcdef0123';

/** A local webhook receiver: records every request and answers 200. */
async function startReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchor`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Creates workflow `wf-1` with `entries` copies of its `created` audit entry. */
async function seedTrail(store: SqliteStateStore, entries: number): Promise<void> {
  const rec = bareRecord({ workflow_type: 't', risk_level: 'low' });
  const entry = {
    at: rec.created_at,
    actor: 'alice',
    action: 'created',
    workflow_id: 'wf-1',
    from_status: null,
    to_status: 'pending_approval',
    comment: null,
    correlation_id: null,
  };
  await store.createWorkflow(
    rec,
    Array.from({ length: entries }, () => entry),
  );
}

describe('GovernanceAuditAnchor', () => {
  it('publishes a moved head once: gauge, and a webhook POST signed with a key derived from the audit key', async () => {
    const { url, received, close } = await startReceiver();
    const governance: MiraConfigInput['governance'] = {
      audit: { key: KEY, key_id: 'k9', anchor_webhook: url },
    };
    const config = new ConfigStore(loadConfig({ file: null, env: {}, overrides: { governance } }));
    const store = SqliteStateStore.open(':memory:');
    const keys = new GovernanceAuditKeys(config, { env: {} }, store);
    const metrics = new MetricsService({ defaultMetrics: false });
    const anchor = new GovernanceAuditAnchor(config, keys, store, metrics);
    try {
      expect(await anchor.publish()).toBeNull(); // empty trail: nothing to anchor
      await seedTrail(store, 2);
      const head = await anchor.publish();
      expect(head).toMatchObject({ seq: 2, chain: 'wf-1', chain_seq: 2, key_id: 'k9' });
      expect(await anchor.publish()).toBeNull(); // unchanged: not published again
      expect(await metrics.render()).toMatch(/^mira_audit_head_seq 2$/m);
      expect(received).toHaveLength(1);
      const { headers, body } = received[0];
      expect(JSON.parse(body)).toEqual({ type: 'audit.head', ...head });
      const derived = createHmac('sha256', KEY).update('mira-audit-anchor').digest('hex');
      const expected = createHmac('sha256', derived)
        .update(`${headers['x-mira-audit-timestamp']}.${body}`)
        .digest('hex');
      expect(headers['x-mira-audit-signature']).toBe(`sha256=${expected}`);
      expect(headers['x-mira-audit-key-id']).toBe('k9');
      expect(JSON.stringify(received)).not.toContain(KEY);
    } finally {
      anchor.onApplicationShutdown();
      await store.close();
      await close();
    }
  });

  it("refuses to post over http when the config loader's environment is production, whatever process.env says", async () => {
    const { url, received, close } = await startReceiver();
    // Loaded outside production (so the load-time check passes); the keys see the app's production env.
    const config = new ConfigStore(
      loadConfig({
        file: null,
        env: {},
        overrides: { governance: { audit: { key: KEY, anchor_webhook: url } } },
      }),
    );
    const store = SqliteStateStore.open(':memory:');
    const keys = new GovernanceAuditKeys(config, { env: { NODE_ENV: 'production' } }, store);
    const anchor = new GovernanceAuditAnchor(config, keys, store, null);
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'test';
    try {
      await seedTrail(store, 1);
      expect(await anchor.publish()).toMatchObject({ seq: 1 });
      expect(received).toHaveLength(0);
    } finally {
      process.env.NODE_ENV = nodeEnv;
      anchor.onApplicationShutdown();
      await store.close();
      await close();
    }
  });
});
