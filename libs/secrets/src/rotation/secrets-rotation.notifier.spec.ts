import type { LoggerService } from '@nestjs/common';
import { SecretsRotationNotifier } from './secrets-rotation.notifier';

function capture() {
  const lines: string[] = [];
  const logger: LoggerService = {
    log: (m: string) => void lines.push(`log ${m}`),
    error: (m: string) => void lines.push(`error ${m}`),
    warn: (m: string) => void lines.push(`warn ${m}`),
  };
  return { lines, logger };
}

describe('SecretsRotationNotifier', () => {
  it('tells every subscriber; a sync throw or an async rejection is logged and stops no one', async () => {
    const { lines, logger } = capture();
    const notifier = new SecretsRotationNotifier(logger);
    const seen: string[] = [];
    notifier.subscribe(() => {
      throw new Error('subscriber bug');
    });
    notifier.subscribe(async () => Promise.reject(new Error('async bug')));
    notifier.subscribe((name, key) => void seen.push(`${name}:${key}`));
    notifier.notify('db', 'password');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['db:password']);
    expect(lines).toEqual([
      'log Secret secret://db:password rotated',
      'error A rotation subscriber failed for secret://db:password: subscriber bug',
      'error A rotation subscriber failed for secret://db:password: async bug',
    ]);
  });

  it('an unsubscribed listener hears nothing more', () => {
    const notifier = new SecretsRotationNotifier(capture().logger);
    const seen: string[] = [];
    const off = notifier.subscribe((name) => void seen.push(name));
    notifier.notify('a', undefined);
    off();
    notifier.notify('b', undefined);
    expect(seen).toEqual(['a']);
  });
});
