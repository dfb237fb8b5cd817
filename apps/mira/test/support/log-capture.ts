import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { LogDestinationModule } from '@mira/logging';

/**
 * E2E log capture for the secret-leak scan: when MIRA_E2E_LOG_DIR is set (by log-scan.setup.js, the e2e
 * project's globalSetup) every app booted by startTestApp logs at debug into a per-worker file, and specs
 * record the secret values they use; log-scan.teardown.js then searches all lines for all values.
 */
export function captureDir(): string | null {
  return process.env.MIRA_E2E_LOG_DIR || null;
}

const worker = () => process.env.JEST_WORKER_ID ?? '0';

/** A LogDestinationModule writing to this worker's log file, or null when capture is off. */
export function captureLogsModule(): DynamicModule | null {
  const dir = captureDir();
  if (!dir) return null;
  const file = join(dir, `logs-${worker()}-${process.pid}.jsonl`);
  return LogDestinationModule.forStream({ write: (chunk: string) => appendFileSync(file, chunk) });
}

/** Records secret values the scan must never find in a log line (no-op when capture is off). */
export function recordSecretValues(...values: (string | null | undefined)[]): void {
  const dir = captureDir();
  const kept = values.filter((v): v is string => typeof v === 'string' && v.length >= 4);
  if (!dir || kept.length === 0) return;
  appendFileSync(
    join(dir, `secrets-${worker()}-${process.pid}.jsonl`),
    kept.map((v) => `${JSON.stringify(v)}\n`).join(''),
  );
}

/** Secret-bearing config keys of a resolved snapshot: API keys and webhook signing secrets. */
export function recordConfigSecrets(config: {
  api?: { keys?: (string | { key: string })[] };
  webhooks?: Record<string, { secret?: string | null; previous_secret?: string | null }>;
}): void {
  const values = (config.api?.keys ?? []).map((k) => (typeof k === 'string' ? k : k.key));
  for (const w of Object.values(config.webhooks ?? {})) values.push(w.secret ?? '', w.previous_secret ?? '');
  recordSecretValues(...values.filter((v) => !v.startsWith('secret://')));
}
