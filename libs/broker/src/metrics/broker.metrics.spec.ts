import { MetricsService } from '@mira/metrics';
import { MemoryTransport } from '../memory/memory.transport';
import { BrokerMetrics } from './broker.metrics';
import { MessageTypeLabels } from './message-type-labels';

/** The series of `name` as exposition lines (no HELP/TYPE lines). */
async function series(metrics: MetricsService, name: string): Promise<string[]> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  return text.split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('BrokerMetrics', () => {
  let metrics: MetricsService;
  let labels: MessageTypeLabels;
  let observer: BrokerMetrics;

  beforeEach(() => {
    metrics = new MetricsService({ defaultMetrics: false });
    labels = new MessageTypeLabels();
    labels.register(['plan.requested']);
    observer = new BrokerMetrics(metrics, labels, new MemoryTransport({ queueSize: 10 }));
  });

  it('counts each hook by message type; a type shows only the counters it has events for', async () => {
    observer.onPublished('plan.requested');
    observer.onPublished('plan.requested');
    observer.onDelivered('plan.requested', 'g', 2);
    observer.onFailed('plan.requested');
    observer.onDeadLettered('plan.requested');
    observer.onPublished('status.changed');
    expect(await series(metrics, 'mira_broker_messages_published_total')).toEqual([
      'mira_broker_messages_published_total{type="plan.requested"} 2',
      'mira_broker_messages_published_total{type="status.changed"} 1',
    ]);
    expect(await series(metrics, 'mira_broker_messages_delivered_total')).toEqual([
      'mira_broker_messages_delivered_total{type="plan.requested"} 1',
    ]);
    expect(await series(metrics, 'mira_broker_messages_failed_total')).toEqual([
      'mira_broker_messages_failed_total{type="plan.requested"} 1',
    ]);
    expect(await series(metrics, 'mira_broker_messages_dead_lettered_total')).toEqual([
      'mira_broker_messages_dead_lettered_total{type="plan.requested"} 1',
    ]);
  });

  it('keeps counting between scrapes (totals, never reset by a scrape)', async () => {
    observer.onPublished('plan.requested');
    await series(metrics, 'mira_broker_messages_published_total');
    observer.onPublished('plan.requested');
    observer.onPublished('plan.requested');
    expect(await series(metrics, 'mira_broker_messages_published_total')).toEqual([
      'mira_broker_messages_published_total{type="plan.requested"} 3',
    ]);
  });

  it('observes handler durations in seconds into the buckets of the type', async () => {
    observer.onDelivered('plan.requested', 'g', 0.2); // 0.0002 s
    observer.onDelivered('plan.requested', 'g', 20); // 0.02 s
    const lines = await series(metrics, 'mira_broker_handler_duration_seconds');
    expect(lines).toContain(
      'mira_broker_handler_duration_seconds_bucket{le="0.0005",type="plan.requested"} 1',
    );
    expect(lines).toContain('mira_broker_handler_duration_seconds_bucket{le="0.01",type="plan.requested"} 1');
    expect(lines).toContain('mira_broker_handler_duration_seconds_bucket{le="0.05",type="plan.requested"} 2');
    expect(lines).toContain('mira_broker_handler_duration_seconds_count{type="plan.requested"} 2');
    expect(lines).toContain('mira_broker_handler_duration_seconds_sum{type="plan.requested"} 0.0202');
  });

  it('maps types beyond the admission budget to "other", and a later registration gives them their own label', async () => {
    for (let i = 0; i < 16; i++) observer.onPublished(`extra.${i}`);
    observer.onPublished('late.type');
    observer.onPublished('late.type');
    labels.register(['late.type']);
    observer.onPublished('late.type');
    const lines = await series(metrics, 'mira_broker_messages_published_total');
    expect(lines).toContain('mira_broker_messages_published_total{type="other"} 2');
    expect(lines).toContain('mira_broker_messages_published_total{type="late.type"} 1');
    expect(lines).toHaveLength(18);
  });
});
