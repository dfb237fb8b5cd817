import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runNode, type Child } from './support/child';
import { until } from './support/poll';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require('../../../scripts/build-if-needed.js') as {
  ensureBuilt: (o?: { quiet?: boolean }) => string;
};

type Loaded = Record<string, boolean>;

/** Every `startup-modules {...}` line the child printed so far. */
function reports(child: Child): Loaded[] {
  return child
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('startup-modules '))
    .map((l) => JSON.parse(l.slice('startup-modules '.length)) as Loaded);
}

// The built service's start must not load what only /docs needs (issue 19: start-up time);
// the docs must still answer, loading it then.
describe('start-up of the built service: @nestjs/swagger loads on the first /docs request only', () => {
  let child: Child;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    ensureBuilt({ quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'mira-startup-modules-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = runNode([join(__dirname, 'support/startup-modules-child.js')], {
      PORT: String(port),
      MIRA_STATE__SQLITE__PATH: join(dir, 'state.db'),
      MIRA_LOG_LEVEL: 'warn',
    });
    await until(
      () => reports(child).length > 0 || child.proc.exitCode !== null,
      'the child to listen',
      30_000,
    );
  }, 180_000);

  afterAll(async () => {
    child.proc.kill('SIGTERM');
    await child.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is listening without @nestjs/swagger in require.cache', () => {
    expect(child.stderr()).not.toContain('fatal');
    expect(reports(child)[0]).toEqual({ '@nestjs/swagger': false });
  });

  it('serves the document, the UI and its assets on first request, loading @nestjs/swagger then', async () => {
    const json = await fetch(`${url}/docs/json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const doc = (await json.json()) as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).toBe('3.0.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/messages', '/healthz']));
    // The webhooks controller's description, applied at document time instead of at start.
    const hook = doc.paths['/webhooks/{service}'];
    expect(hook.post.tags).toEqual(['webhooks']);
    expect(hook.post.summary).toBe('Receive a signed webhook delivery');
    expect(Object.keys(hook.post.requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
    ]);
    expect(Object.keys(hook.post.responses)).toEqual(['200', '202', '401', '404', '413', '429']);
    expect(hook.head.summary).toBe('Callback URL check (answers 200 for an enabled service)');

    const yaml = await fetch(`${url}/docs/yaml`);
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toContain('openapi: 3.0.0');
    const ui = await fetch(`${url}/docs`);
    expect(ui.headers.get('content-type')).toBe('text/html');
    expect(await ui.text()).toContain('<title>Mira API</title>');
    const init = await fetch(`${url}/docs/swagger-ui-init.js`);
    expect(init.headers.get('content-type')).toBe('application/javascript');
    expect(await init.text()).toContain('/webhooks/{service}');
    const css = await fetch(`${url}/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await css.text()).length).toBeGreaterThan(1000);
    // HEAD answers as GET without the body; a missing asset is the app's own 404.
    const head = await fetch(`${url}/docs/json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    const missing = await fetch(`${url}/docs/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /docs/nope.js',
    });

    child.proc.kill('SIGUSR2');
    await until(() => reports(child).length > 1, 'the second report');
    expect(reports(child)[1]).toEqual({ '@nestjs/swagger': true });
  }, 60_000);
});
