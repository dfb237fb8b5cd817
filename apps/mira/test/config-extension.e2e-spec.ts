// A module outside libs/config brings its own config section, a secrets backend and a broker
// transport (apps/mira/test/support/extension-child.js); configuration selects them and the built
// service starts with them and uses them over real HTTP. Unknown names stop the start with one line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, waitForHttp } from './support/child';
import { builtEntry, launchService, tempDir, type LaunchedService } from './support/service-process';

const entry = join(repoRoot, 'apps/mira/test/support/extension-child.js');
const API_KEY = 'k-ext-7f3a9c1e5b';

interface Started extends LaunchedService {
  publishLog: string;
}

/** Runs the extension entry on a free port with its test config under `config` (does not wait for it). */
async function launch(config: Record<string, unknown>): Promise<Started> {
  const publishLog = join(tempDir(), 'published.log');
  const launched = await launchService({
    script: entry,
    config: {
      broker: { transport: 'loopback' },
      secrets: { backend: 'memvault' },
      api: { keys: ['secret://demo:apikey'] },
      test_extension: { secrets: { 'demo:apikey': API_KEY }, publish_log: publishLog },
      ...config,
    },
  });
  return { ...launched, publishLog };
}

function stop(s: Started | undefined): Promise<unknown> {
  if (!s || s.child.proc.exitCode !== null || s.child.proc.signalCode !== null) return Promise.resolve();
  s.child.proc.kill('SIGKILL');
  return s.child.exited;
}

describe('config sections, secrets backends and broker transports from a module outside libs/config', () => {
  let service: Started | undefined;
  // Builds dist/ when it is missing or stale (the entry runs the built service).
  beforeAll(() => builtEntry(), 180000);
  afterEach(async () => {
    await stop(service);
    service = undefined;
  });

  /** Starts with `config`, expects the start to fail with exit code 1 and answers its stderr lines. */
  async function failedStart(config: Record<string, unknown>): Promise<string[]> {
    service = await launch(config);
    const { code } = await service.child.exited;
    expect(code).toBe(1);
    return service.child.stderr().trim().split('\n');
  }

  it('starts on the test backend and transport chosen by config and uses both over HTTP', async () => {
    service = await launch({});
    const live = await waitForHttp(`${service.url}/healthz/live`, 30000).catch((err: Error) => {
      throw new Error(`${err.message}; stderr: ${service!.child.stderr()}`);
    });
    expect(live.status).toBe(200);
    const logs = service.child.stdout();
    expect(logs).toContain('Secrets backend: memvault');
    expect(logs).toContain('Broker started on the loopback transport');

    const publish = (headers: Record<string, string>) =>
      fetch(`${service!.url}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ type: 'ext.hello', data: { n: 1 } }),
      });
    // The only API key is a secret:// reference the memvault backend resolved.
    expect((await publish({})).status).toBe(401);
    expect((await publish({ authorization: 'Bearer wrong' })).status).toBe(401);
    const accepted = await publish({ authorization: `Bearer ${API_KEY}` });
    expect(accepted.status).toBe(202);
    // Published through the loopback transport, which logs each type it is handed.
    expect(readFileSync(service.publishLog, 'utf8').split('\n')).toContain('ext.hello');
    // The resolved key never reaches a log line.
    expect(service.child.stdout() + service.child.stderr()).not.toContain(API_KEY);
  });

  it("validates the module's own section: a bad value stops the start with the key named", async () => {
    const lines = await failedStart({ test_extension: { publish_log: '', colour: 'red' } });
    expect(lines[0]).toBe('mira: fatal: Invalid configuration (2 problems):');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- test_extension\.publish_log: .*\(set by file .*mira\.yaml\)$/),
      expect.stringMatching(/^ {2}- test_extension\.colour: unknown key .*\(set by file .*mira\.yaml\)$/),
    ]);
    expect(existsSync(service!.publishLog)).toBe(false);
  });

  it('an unknown broker.transport stops the start with one line listing the known ones', async () => {
    const lines = await failedStart({ broker: { transport: 'nats' } });
    expect(lines).toEqual([
      expect.stringMatching(
        /^mira: fatal: Invalid configuration: broker\.transport: no transport named "nats" \(known: memory, redis, loopback\); import the module that declares it with @BrokerTransport or fix the value \(set by file .*mira\.yaml\)$/,
      ),
    ]);
  });

  it('an unknown secrets.backend stops the start with one line listing the known ones', async () => {
    const lines = await failedStart({ secrets: { backend: 'nope' } });
    // Discovered at module init (after config validation): still one line, naming the known ones.
    expect(lines).toEqual([
      expect.stringMatching(
        /^mira: fatal: SECRETS_BACKEND_UNKNOWN: secrets\.backend is "nope" but no such backend is registered \(known: env, file, kubernetes, memvault, vault\)/,
      ),
    ]);
  });
});
