import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { sanitizeMessage } from '../state.error';
import type { StateSettings } from '../state.interface';

/**
 * The store's pg.Pool, with an 'error' listener on the pool AND on every client it makes.
 *
 * pg-pool takes its own listener off a client while it is checked out, so a server that goes away
 * between two statements (inside a transaction, a migration, a StateSql call) made that client emit
 * 'error' with no listener: the uncaught `read ECONNRESET` / "terminating connection due to
 * administrator command" that ended the process. With a listener for the client's whole life the
 * statement in flight still fails (StateError STATE_UNAVAILABLE) and the pool drops the client on
 * release, since it is no longer queryable.
 */
export function createStatePool(settings: StateSettings['postgres'], secrets: (string | null)[]): Pool {
  // Loaded here so the default sqlite deployment never loads the driver.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const pool = new pg.Pool({
    connectionString: settings.url ?? undefined,
    max: settings.pool_max,
    statement_timeout: settings.statement_timeout_ms,
    connectionTimeoutMillis: settings.connect_timeout_ms,
    application_name: 'mira',
  });
  const logger = new Logger('StateStore');
  let lastWarning = 0;
  // One warning per outage burst: every pooled client reports the same loss.
  const lost = (kind: string, err: unknown) => {
    const now = Date.now();
    if (now - lastWarning < 5000) return;
    lastWarning = now;
    logger.warn(
      `postgres ${kind} connection lost: ${sanitizeMessage((err as Error)?.message ?? String(err), secrets)}`,
    );
  };
  pool.on('error', (err) => lost('idle', err));
  pool.on('connect', (client) => client.on('error', (err) => lost('checked-out', err)));
  return pool;
}
