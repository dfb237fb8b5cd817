import { until } from '../../../../apps/mira/test/support/poll';
import { SecretsRefreshScheduler } from './secrets-refresh.scheduler';

describe('SecretsRefreshScheduler', () => {
  it('refreshes on its interval, one run at a time, and keeps going after a failed run', async () => {
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    const scheduler = new SecretsRefreshScheduler(5, async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      if (runs === 1) throw new Error('backend down');
    });
    expect(scheduler.running).toBe(false);
    scheduler.start();
    expect(scheduler.running).toBe(true);
    await until(() => runs >= 3, 'three refresh runs');
    scheduler.stop();
    expect(maxActive).toBe(1);
  });

  it('stop() ends the schedule; start() after stop() does not revive it', async () => {
    let runs = 0;
    const scheduler = new SecretsRefreshScheduler(5, async () => void runs++);
    scheduler.start();
    await until(() => runs >= 1, 'a first run');
    scheduler.stop();
    const after = runs;
    scheduler.start();
    expect(scheduler.running).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(after);
  });
});
