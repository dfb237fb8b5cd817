import { defaultDrainDelayMs, shutdownSchema } from './shutdown.config';

describe('shutdown.drain_delay_ms default', () => {
  it('is unset unless configured', () => {
    expect(shutdownSchema.parse({}).drain_delay_ms).toBeNull();
    expect(shutdownSchema.parse({ drain_delay_ms: '250' }).drain_delay_ms).toBe(250);
    expect(shutdownSchema.safeParse({ drain_delay_ms: -1 }).success).toBe(false);
  });

  it('unset: 5000 in Kubernetes or production, 0 on a laptop', () => {
    expect(defaultDrainDelayMs({ KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toBe(5000);
    expect(defaultDrainDelayMs({ NODE_ENV: 'production' })).toBe(5000);
    expect(defaultDrainDelayMs({ NODE_ENV: 'development' })).toBe(0);
    expect(defaultDrainDelayMs({})).toBe(0);
  });
});
