import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fatalLine, freePort, runNode } from './support/child';
import { builtEntry, launchService, tempDir } from './support/service-process';

// Errors that say what to change, asserted on the real process.

describe('errors with the fix', () => {
  it('EADDRINUSE names the port and PORT, in one line, exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const { child } = await launchService({ env: { PORT: String(port) } });
      // launchService writes its own free port into the file: PORT (the environment) wins over it.
      expect(await fatalLine(child)).toBe(
        `mira: fatal: port ${port} on 127.0.0.1 is already in use (server.port, or the PORT environment variable); ` +
          'stop the process using it or set PORT to a free port',
      );
    } finally {
      taken.close();
    }
  }, 60_000);

  it('a typo in the file gets "did you mean" naming the file; a wrong env value is quoted back', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, 'governance:\n  financial_treshold: 5000\nloging:\n  level: debug\n');
    const child = runNode([builtEntry()], {
      MIRA_CONFIG_FILE: file,
      PORT: String(await freePort()),
      MIRA_SHUTDOWN__TIMEOUT_MS: '5s',
    });
    expect((await child.exited).code).toBe(1);
    const err = child.stderr();
    expect(err).toContain(
      `governance.financial_treshold: unknown key, did you mean governance.financial_threshold? (allowed keys are listed in docs/configuration.md) (set by file ${file})`,
    );
    expect(err).toContain(
      `loging: unknown key, did you mean logging? (allowed keys are listed in docs/configuration.md) (set by file ${file})`,
    );
    expect(err).toMatch(
      /shutdown\.timeout_ms: .* \(received "5s"\) \(set by env MIRA_SHUTDOWN__TIMEOUT_MS\)/,
    );
  }, 60_000);
});
