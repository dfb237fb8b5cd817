import { startPostgres, type PostgresServer } from './support/postgres-server';
import { fatalLine } from './support/child';
import { builtEntry, launchService } from './support/service-process';

// Issue 31: a PostgreSQL store that cannot be used at start (wrong credentials, a dropped
// database) ends the BUILT service with exactly one fatal line naming the setting to fix, and
// never the password.
describe('state store start failures (built service, real PostgreSQL)', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    builtEntry();
    postgres = await startPostgres();
  }, 240_000);
  afterAll(() => postgres?.stop());

  it.each([
    [
      'wrong credentials (no such role)',
      (port: number) => `postgres://intruder:Pa55-w0rd@127.0.0.1:${port}/mira`,
    ],
    ['a dropped database', (port: number) => `postgres://mira:Pa55-w0rd@127.0.0.1:${port}/dropped_db`],
  ])(
    '%s: one fatal line naming state.postgres.url',
    async (_label, url) => {
      const { child } = await launchService({
        config: {
          state: { backend: 'postgres', postgres: { url: url(postgres.port), connect_timeout_ms: 2000 } },
        },
      });
      const line = await fatalLine(child);
      expect(line).toContain('state.postgres.url');
      expect(line).not.toContain('Pa55-w0rd');
    },
    60_000,
  );
});
