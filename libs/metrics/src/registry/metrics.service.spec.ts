import { MetricsError } from '../metrics.error';
import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  it('keeps a registry per instance, so two apps in one process do not clash', async () => {
    const a = new MetricsService({ defaultMetrics: false });
    const b = new MetricsService({ defaultMetrics: false });
    a.counter({ name: 'x_total', help: 'x' }).inc(2);
    b.counter({ name: 'x_total', help: 'x' }).inc(5);
    expect(await a.render()).toContain('x_total 2');
    expect(await b.render()).toContain('x_total 5');
  });

  it('get-or-create is idempotent by name and refuses a conflicting redefinition', () => {
    const m = new MetricsService({ defaultMetrics: false });
    const c1 = m.counter({ name: 'y_total', help: 'y', labelNames: ['a', 'b'] });
    const c2 = m.counter({ name: 'y_total', help: 'y', labelNames: ['b', 'a'] });
    expect(c2).toBe(c1);
    expect(() => m.gauge({ name: 'y_total', help: 'y', labelNames: ['a', 'b'] })).toThrow(MetricsError);
    expect(() => m.counter({ name: 'y_total', help: 'y', labelNames: ['a'] })).toThrow(/labels \[a, b\]/);
    const h = m.histogram({ name: 'h_seconds', help: 'h', buckets: [1] });
    expect(m.histogram({ name: 'h_seconds', help: 'h', buckets: [1] })).toBe(h);
  });

  it('counterFromTotals advances by what each running total grew, never back, 0 before the first event', async () => {
    const m = new MetricsService({ defaultMetrics: false });
    const totals = { ok: 0, failed: 0 };
    m.counterFromTotals<'result'>({ name: 'r_total', help: 'r', labelNames: ['result'] }, () =>
      (['ok', 'failed'] as const).map((result) => [{ result }, totals[result]] as const),
    );
    expect(await m.render()).toContain('r_total{result="failed"} 0');
    totals.ok = 3;
    expect(await m.render()).toContain('r_total{result="ok"} 3');
    totals.ok = 5;
    totals.failed = 1;
    const text = await m.render();
    expect(text).toContain('r_total{result="ok"} 5');
    expect(text).toContain('r_total{result="failed"} 1');
    totals.ok = 2; // the source restarted its count: the counter does not go back
    expect(await m.render()).toContain('r_total{result="ok"} 5');
    totals.ok = 6;
    expect(await m.render()).toContain('r_total{result="ok"} 6');
  });

  it('collects process defaults unless switched off', async () => {
    expect(await new MetricsService().render()).toContain('process_cpu_user_seconds_total');
    expect(await new MetricsService({ defaultMetrics: false }).render()).not.toContain('process_cpu');
  });
});
