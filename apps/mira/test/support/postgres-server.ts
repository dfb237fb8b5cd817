import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startServerProcess } from './server-process';

export interface PostgresServer {
  /** postgres://mira@127.0.0.1:<port>/mira (a database made at start). */
  url: string;
  port: number;
  /** Creates a fresh database and answers its URL; `password` goes into the URL (trust auth ignores it). */
  createDatabase(name: string, password?: string): Promise<string>;
  /** Stops the server (fast shutdown by PID, kill -9 after 10 s) and removes its directory. */
  stop(): Promise<void>;
  /**
   * Stops the server only (a simulated outage): a fast shutdown by default (SIGINT, what a minor
   * upgrade or failover does), SIGKILL for a postmaster crash; restart() brings it back with its data.
   */
  down(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

/** Debian's versioned server directory (/usr/lib/postgresql/<v>/bin), newest version first. */
export function findPostgresBindir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      'PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install them with ' +
        '`apt-get install -y postgresql` (.ci/run does); the postgres tests need a real server',
    );
  return join(root, versions[0], 'bin');
}

/**
 * A real PostgreSQL on a free loopback port in a temp directory. PostgreSQL refuses to run as root,
 * so as root the directory is handed to the `postgres` user and the server runs through runuser.
 */
export async function startPostgres(
  options: {
    timeoutMs?: number;
    /**
     * synchronous_commit=on: a commit is in the WAL before the client hears of it. Needed when a
     * test kills the postmaster (SIGKILL) and then checks acknowledged writes: with the default
     * (off, faster) the last commits before the crash can be lost on recovery, as PostgreSQL
     * documents, which is the harness's doing and not the service's.
     */
    durableCommits?: boolean;
  } = {},
): Promise<PostgresServer> {
  const bindir = findPostgresBindir();
  const timeoutMs = options.timeoutMs ?? 30000;
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'mira-pg-'));
  const data = join(dir, 'data');
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
    // The postgres user must reach the directory: make every parent traversable (o+x).
    for (let p = dirname(dir); p !== dirname(p); p = dirname(p)) chmodSync(p, statSync(p).mode | 0o001);
  }
  const [initCmd, initArgs] = as(join(bindir, 'initdb'), [
    '-D',
    data,
    '-U',
    'mira',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe', timeout: 60000 });

  async function ready(port: number): Promise<boolean> {
    try {
      execFileSync(join(bindir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'mira', '-q'], {
        stdio: 'ignore',
        timeout: 5000,
      });
      return true;
    } catch {
      return false;
    }
  }

  /** The postmaster's own PID (runuser's child), from postmaster.pid. */
  function postmasterPid(): number | null {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  }

  const server = await startServerProcess({
    name: 'postgres',
    command: (port) =>
      as(join(bindir, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        `synchronous_commit=${options.durableCommits ? 'on' : 'off'}`,
        '-c',
        'full_page_writes=off',
      ]),
    ready,
    timeoutMs,
    pollMs: 100,
    // Fast shutdown: disconnects clients, no waiting for them.
    stopSignal: 'SIGINT',
    killAfterMs: 10000,
    pid: postmasterPid,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });

  async function psql(sql: string): Promise<void> {
    execFileSync(
      join(bindir, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        'mira',
        '-d',
        'postgres',
        '-v',
        'ON_ERROR_STOP=1',
        '-qc',
        sql,
      ],
      { stdio: 'pipe', timeout: 20000 },
    );
  }

  const urlFor = (db: string, password?: string) =>
    `postgres://mira${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${server.port}/${db}`;
  await psql('CREATE DATABASE mira');

  return {
    get url() {
      return urlFor('mira');
    },
    port: server.port,
    async createDatabase(name, password) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: use [a-z0-9_]`);
      await psql(`CREATE DATABASE ${name}`);
      return urlFor(name, password);
    },
    stop: () => server.stop(),
    down: (signal) => server.down(signal),
    restart: () => server.restart(),
  };
}
