import { createServer } from 'node:net';
import { fatalLine } from './support/child';
import { launchService } from './support/service-process';

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
});
