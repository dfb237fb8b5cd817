import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestApp, type TestApp } from './support/test-app';

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// OFREP's error shapes (open-feature/protocol service/openapi.yaml) over real HTTP, and a bad
// features.flags_file: last good definitions kept, /healthz degraded naming the file, recovery.

const KEY = { 'x-api-key': 'ofrep-errors-key' };
const onOff = { on: true, off: false };
const fileFlags = (defaultVariant: 'on' | 'off') =>
  JSON.stringify({ flags: { 'from.file': { variants: onOff, defaultVariant } } });

describe('OFREP error shapes and features.flags_file health over real HTTP', () => {
  let dir: string;
  let flagsFile: string;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mira-ofrep-'));
    flagsFile = join(dir, 'flags.json');
    writeFileSync(flagsFile, fileFlags('on'));
    t = await startTestApp({
      overrides: {
        config: { hot_reload: true, poll_interval: 0.05 },
        api: { keys: [{ name: 'ofrep', key: 'ofrep-errors-key', roles: ['admin'] }] },
        features: {
          flags_file: flagsFile,
          flags: {
            split: {
              variants: onOff,
              defaultVariant: 'off',
              targeting: {
                fractional: [
                  ['on', 50],
                  ['off', 50],
                ],
              },
            },
            plain: { variants: onOff, defaultVariant: 'on' },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const one = (key: string, raw: string, headers: Record<string, string> = {}) =>
    request(`${t.url}/ofrep/v1/evaluate/flags/${key}`, { raw, headers: { ...KEY, ...headers } });
  const bulk = (raw: string, headers: Record<string, string> = {}) =>
    request(`${t.url}/ofrep/v1/evaluate/flags`, { raw, headers: { ...KEY, ...headers } });

  it('a body that is not JSON is a 400 PARSE_ERROR (single: with the key; bulk: without)', async () => {
    for (const raw of ['{"context": ', 'not json']) {
      const single = await one('plain', raw);
      expect(single).toMatchObject({
        status: 400,
        body: { key: 'plain', errorCode: 'PARSE_ERROR', errorDetails: expect.any(String) },
      });
      const many = await bulk(raw);
      expect(many.status).toBe(400);
      expect(many.body).toEqual({ errorCode: 'PARSE_ERROR', errorDetails: expect.any(String) });
    }
  });

  it('a context that is not an object is a 400 INVALID_CONTEXT, single and bulk', async () => {
    for (const raw of ['{"context": "x"}', '{"context": [1]}', '[1]']) {
      expect(await one('plain', raw)).toMatchObject({
        status: 400,
        body: { key: 'plain', errorCode: 'INVALID_CONTEXT' },
      });
      expect(await bulk(raw)).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    }
  });

  it('a fractional flag without a targetingKey: 400 TARGETING_KEY_MISSING alone, an item failure in bulk', async () => {
    expect(await one('split', '{"context": {}}')).toMatchObject({
      status: 400,
      body: { key: 'split', errorCode: 'TARGETING_KEY_MISSING' },
    });
    const many = await bulk('{"context": {}}');
    expect(many.status).toBe(200);
    expect(many.body.flags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'split', errorCode: 'TARGETING_KEY_MISSING' }),
        expect.objectContaining({ key: 'plain', value: true, variant: 'on' }),
      ]),
    );
    // A flag without targeting needs no key.
    expect(await one('plain', '{"context": {}}')).toMatchObject({ status: 200, body: { value: true } });
  });

  it('an unknown flag is a 404 FLAG_NOT_FOUND with its key', async () => {
    expect(await one('nope', '{"context": {"targetingKey": "a"}}')).toMatchObject({
      status: 404,
      body: { key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.stringContaining('nope') },
    });
  });

  it('bulk answers 304 to a matching If-None-Match, and a new ETag once a flag changed', async () => {
    const first = await bulk('{"context": {"targetingKey": "a"}}');
    const etag = first.headers.get('etag') as string;
    expect(first.status).toBe(200);
    const same = await bulk('{"context": {"targetingKey": "a"}}', { 'if-none-match': `"other", ${etag}` });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');

    writeFileSync(flagsFile, fileFlags('off'));
    const changed = await until(
      'the file change to be served',
      () => bulk('{"context": {"targetingKey": "a"}}', { 'if-none-match': etag }),
      (r) => r.status === 200,
    );
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.flags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'from.file', value: false })]),
    );
  });

  it('a bad flags_file keeps the last good definitions and reports degraded health naming it; fixed, it recovers', async () => {
    const check = async () => (await request(`${t.url}/healthz`)).body;
    const fromFile = async () => (await one('from.file', '{"context": {}}')).body;
    writeFileSync(flagsFile, fileFlags('on'));
    await until('the good file', fromFile, (b) => b.value === true);
    expect((await check()).checks.feature_flags).toMatchObject({ status: 'healthy', file: flagsFile });

    const bad: [string, RegExp][] = [
      ['{"flags": {', /not readable JSON/],
      [
        JSON.stringify({ flags: { 'from.file': { variants: onOff, defaultVariant: 'maybe' } } }),
        /flags\.from\.file.*maybe/,
      ],
    ];
    for (const [text, problem] of bad) {
      writeFileSync(flagsFile, text);
      const h = await until(
        'degraded health',
        check,
        (b) => b.checks.feature_flags.status === 'degraded' && problem.test(b.checks.feature_flags.reason),
      );
      expect(h.status).toBe('degraded');
      expect(h.checks.feature_flags.reason).toContain(flagsFile);
      expect((await request(`${t.url}/healthz/ready`)).status).toBe(200);
      // The last good definitions keep serving.
      expect(await fromFile()).toMatchObject({ value: true, variant: 'on' });
    }

    writeFileSync(flagsFile, fileFlags('off'));
    await until('recovery', check, (b) => b.checks.feature_flags.status === 'healthy');
    expect(await fromFile()).toMatchObject({ value: false, variant: 'off' });
  });
});
