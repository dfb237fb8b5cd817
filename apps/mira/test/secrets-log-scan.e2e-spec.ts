import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { LogDestinationModule } from '@mira/logging';
import { SecretsService } from '@mira/secrets';
import { recordSecretValues } from './support/log-capture';
import { startTestApp } from './support/test-app';

// The whole-suite scan runs in the e2e globalTeardown (support/log-scan.teardown.js) over every app's
// captured lines; this spec checks both halves of it: values are masked, and the scan finds a leak.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS jest teardown module
const { scan } = require('./support/log-scan.teardown.js') as {
  scan(dir: string): { values: number; lines: number; hits: { file: string }[] };
};

describe('secret leak scan', () => {
  it('a resolved secret value logged by mistake is masked in the log line', async () => {
    const lines: string[] = [];
    const value = 'leak-canary-9f8e7d6c';
    recordSecretValues(value);
    const app = await startTestApp({
      env: { CANARY_TOKEN: value },
      overrides: { logging: { level: 'debug' }, webhooks: { canary: { secret: 'secret://canary:token' } } },
      imports: [LogDestinationModule.forStream({ write: (l: string) => void lines.push(l) })],
    });
    try {
      await app.app.get(SecretsService).get('canary', 'token');
      new Logger('Careless').warn(`connecting with ${value}`);
      new Logger('Careless').log({ msg: 'object form', password: value, nested: { v: value } });
      await new Promise((r) => setImmediate(r));
      const text = lines.join('');
      expect(text).toContain('connecting with [REDACTED]');
      expect(text).not.toContain(value);
    } finally {
      await app.close();
    }
  });

  it('the scan reports a planted value and passes clean files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-scan-'));
    writeFileSync(
      join(dir, 'secrets-1-1.jsonl'),
      `${JSON.stringify('planted-value-1')}\n${JSON.stringify('q"uote-value')}\n`,
    );
    writeFileSync(join(dir, 'logs-1-1.jsonl'), '{"msg":"clean"}\n');
    expect(scan(dir).hits).toEqual([]);
    writeFileSync(join(dir, 'logs-1-2.jsonl'), '{"msg":"oops planted-value-1"}\n{"msg":"q\\"uote-value"}\n');
    expect(scan(dir).hits.map((h) => h.file)).toEqual(['logs-1-2.jsonl', 'logs-1-2.jsonl']);
  });
});
