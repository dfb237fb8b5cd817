import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@mira/config';
import { FlagsHealthIndicator } from './flags.health';
import { FlagsModule } from './flags.module';
import { FlagsService } from './flags.service';

// features.flags_file: a bad file keeps the last good definitions and reports feature_flags
// degraded (file and problem named); fixing the file is seen by the watcher and recovers.
const good = (variant: string) =>
  JSON.stringify({ flags: { 'from.file': { variants: { v1: 'v1', v2: 'v2' }, defaultVariant: variant } } });

async function waitFor<T>(probe: () => T, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out; last: ${JSON.stringify(probe())}`);
}

describe('FlagsHealthIndicator (features.flags_file)', () => {
  let dir: string;
  let ref: TestingModule;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mira-flags-file-'));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await ref?.close();
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('refuses to start on a bad file, naming the file and the problem (nothing good to keep yet)', async () => {
    const file = join(dir, 'flags.json');
    writeFileSync(file, '{"flags": {');
    const preloaded = loadConfig({ file: null, env: {}, overrides: { features: { flags_file: file } } });
    await expect(
      Test.createTestingModule({
        imports: [ConfigModule.forRoot({ preloaded, isGlobal: true }), FlagsModule],
      }).compile(),
    ).rejects.toMatchObject({
      code: 'FLAGS_FILE_INVALID',
      message: expect.stringContaining(`features.flags_file ${file} is not readable JSON`),
    });
  });

  it('degrades on a bad file naming it and the problem, keeps the last good, recovers when fixed', async () => {
    const file = join(dir, 'flags.json');
    writeFileSync(file, good('v1'));
    const preloaded = loadConfig({
      file: null,
      env: {},
      overrides: { features: { flags_file: file }, config: { hot_reload: true, poll_interval: 0.05 } },
    });
    ref = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ preloaded, isGlobal: true }), FlagsModule],
    }).compile();
    await ref.init();
    const flags = ref.get(FlagsService);
    const health = ref.get(FlagsHealthIndicator);
    expect(health.check()).toEqual({ status: 'healthy', file, flags: 1 });

    // [what breaks it, how, the problem the check names]
    const cases: [string, () => void, RegExp][] = [
      ['invalid JSON', () => writeFileSync(file, '{"flags": {'), /is not readable JSON/],
      [
        'an invalid definition',
        () =>
          writeFileSync(
            file,
            JSON.stringify({
              flags: { 'from.file': { variants: { a: 1 }, defaultVariant: 'a', targeting: { frob: [1] } } },
            }),
          ),
        /flags\.from\.file\.targeting.*frob/,
      ],
      ['a missing file', () => unlinkSync(file), /is not readable JSON \(ENOENT/],
    ];
    for (const [, breakIt, problem] of cases) {
      breakIt();
      const bad = await waitFor(
        () => health.check(),
        (h) => h.status === 'degraded' && problem.test(String(h.reason)),
      );
      expect(bad.reason).toContain(file);
      expect(bad.reason).toContain('the last good flag definitions keep serving');
      // The last good definitions keep serving.
      expect(flags.variant<string>('from.file', 'none').value).toBe('v1');
      writeFileSync(file, good('v1'));
      await waitFor(
        () => health.check(),
        (h) => h.status === 'healthy',
      );
    }
    writeFileSync(file, good('v2'));
    await waitFor(
      () => flags.variant<string>('from.file', 'none').value,
      (v) => v === 'v2',
    );
    expect(health.check().status).toBe('healthy');
  });
});
