import type { PoolClient } from 'pg';
import { StateError } from '../state.error';
import type { ScriptRunner, ScriptStateSql } from '../state.sql';

/** How the store lends a client and maps a driver error (URL and password removed). */
export interface PostgresSqlHost {
  client(what: string): Promise<PoolClient>;
  error(err: unknown, what: string): StateError;
}

/** For StateSql: a unique-key violation (23505) is STATE_DUPLICATE, everything else as the store maps it. */
function sqlError(host: PostgresSqlHost, err: unknown, what: string): StateError {
  if (err instanceof StateError) return err;
  if ((err as { code?: string }).code === '23505') {
    const mapped = host.error(err, what);
    return new StateError(
      'STATE_DUPLICATE',
      `postgres ${what}: ${mapped.message.replace(/; use a new workflow_id$/, '')} (a row with this key exists)`,
    );
  }
  return host.error(err, what);
}

class PostgresRunner implements ScriptRunner {
  readonly dialect = 'postgres' as const;
  ended = false;

  constructor(
    private readonly host: PostgresSqlHost,
    private readonly lend: (what: string) => Promise<{ c: PoolClient; done(): void }>,
  ) {}

  private async run(what: string, sql: string, params: readonly unknown[]) {
    if (this.ended)
      throw new StateError(
        'STATE_INVALID_INPUT',
        'This transaction runner was used after its transaction ended; run statements inside transaction()',
      );
    const { c, done } = await this.lend(what);
    try {
      return await c.query(sql, params as unknown[]);
    } catch (err) {
      throw sqlError(this.host, err, what);
    } finally {
      done();
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.run('query', sql, params)).rows as T[];
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.run('execute', sql, params)).rowCount ?? 0 };
  }

  async script(sql: string): Promise<void> {
    // No parameters: the simple query protocol, which runs several statements.
    await this.run('script', sql, []);
  }
}

/** StateSql on the store's pg.Pool. */
export class PostgresStateSql implements ScriptStateSql {
  readonly dialect = 'postgres' as const;
  private readonly pooled: PostgresRunner;

  constructor(private readonly host: PostgresSqlHost) {
    this.pooled = new PostgresRunner(host, async (what) => {
      const c = await host.client(what);
      return { c, done: () => c.release() };
    });
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.pooled.query<T>(sql, params);
  }

  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }> {
    return this.pooled.execute(sql, params);
  }

  async transaction<T>(fn: (tx: ScriptRunner) => Promise<T>): Promise<T> {
    const c = await this.host.client('transaction');
    const tx = new PostgresRunner(this.host, async () => ({ c, done: () => undefined }));
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const value = await fn(tx);
      await c.query('COMMIT');
      return value;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw sqlError(this.host, err, 'transaction');
    } finally {
      tx.ended = true;
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      c.release(broken);
    }
  }
}
