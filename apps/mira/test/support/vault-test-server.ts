import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback, sendJson as send, type LoopbackServer } from './loopback-server';

/**
 * A Vault stand-in speaking the documented HTTP API that node-vault calls: KV v1/v2 reads
 * (GET /v1/<mount>/<path>, GET /v1/<mount>/data/<path>), auth/token/lookup-self, auth/token/renew-self,
 * auth/<approle>/login, auth/<kubernetes>/login; X-Vault-Token and X-Vault-Namespace headers;
 * `{"errors": [...]}` bodies; 403 for a missing/expired token or a denied path, 404 for missing
 * secrets, and injectable 429/503 faults or a dropped connection.
 */
export interface TokenSpec {
  ttl: number;
  renewable?: boolean;
  /** Renewals never extend past creation + maxTtl (seconds). */
  maxTtl?: number;
}

interface TokenState extends Required<TokenSpec> {
  createdAt: number;
  expiresAt: number | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  token: string | undefined;
  namespace: string | undefined;
  body: any;
  at: number;
}

interface Fault {
  match: RegExp;
  status: number | 'drop';
  times: number;
}

export class VaultTestServer {
  readonly requests: RecordedRequest[] = [];
  /** mount -> { version, path -> data } */
  readonly mounts = new Map<
    string,
    { version: 1 | 2; data: Map<string, { data: Record<string, unknown>; version: number }> }
  >();
  readonly tokens = new Map<string, TokenState>();
  readonly denied = new Set<string>();
  approle: { roleId: string; secretId: string; token: TokenSpec } | null = null;
  kubernetes: { role: string; jwts: Set<string>; token: TokenSpec } | null = null;
  /** When set, every request must carry this X-Vault-Namespace (Vault Enterprise namespaces). */
  namespace: string | null = null;
  private faults: Fault[] = [];
  private down = false;

  private constructor(private readonly server: LoopbackServer) {}

  get url(): string {
    return this.server.url;
  }

  static async start(): Promise<VaultTestServer> {
    const ref: { self?: VaultTestServer } = {};
    const server = createServer((req, res) => void ref.self!.handle(req, res));
    ref.self = new VaultTestServer(await listenLoopback(server));
    return ref.self;
  }

  mount(name: string, version: 1 | 2): this {
    this.mounts.set(name, { version, data: new Map() });
    return this;
  }

  setSecret(mount: string, path: string, data: Record<string, unknown>): void {
    const m = this.mounts.get(mount) ?? this.mount(mount, 2).mounts.get(mount)!;
    const prev = m.data.get(path);
    m.data.set(path, { data, version: (prev?.version ?? 0) + 1 });
  }

  issueToken(spec: TokenSpec, id = `hvs.${randomUUID()}`): string {
    const now = Date.now();
    this.tokens.set(id, {
      ttl: spec.ttl,
      renewable: spec.renewable ?? true,
      maxTtl: spec.maxTtl ?? 0,
      createdAt: now,
      expiresAt: spec.ttl > 0 ? now + spec.ttl * 1000 : null,
    });
    return id;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The next `times` requests whose path matches answer `status` (or drop the connection). */
  fail(match: RegExp, status: number | 'drop', times = 1): void {
    this.faults.push({ match, status, times });
  }

  /** While down every connection is destroyed (a crashed or unreachable Vault). */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.server.dropConnections();
  }

  count(match: RegExp, method?: string): number {
    return this.requests.filter((r) => match.test(r.path) && (!method || r.method === method)).length;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://vault');
    const path = url.pathname;
    let body: any;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return send(res, 400, { errors: ['failed to parse JSON input'] });
    }
    const token = header(req, 'x-vault-token');
    const namespace = header(req, 'x-vault-namespace');
    this.requests.push({ method: req.method ?? 'GET', path, token, namespace, body, at: Date.now() });

    const fault = this.faults.find((f) => f.times > 0 && f.match.test(path));
    if (fault) {
      fault.times--;
      if (fault.status === 'drop') return void req.socket.destroy();
      const message = fault.status === 429 ? 'rate limit quota exceeded' : 'Vault is sealed';
      return send(res, fault.status, { errors: [message] });
    }
    if (this.namespace !== null && namespace !== this.namespace)
      return send(res, 404, { errors: ['no handler for route'] });
    if (!path.startsWith('/v1/')) return send(res, 404, { errors: [] });
    const route = path.slice('/v1/'.length);

    if (req.method === 'POST' && this.approle && route === 'auth/approle/login') {
      if (body?.role_id !== this.approle.roleId || body?.secret_id !== this.approle.secretId)
        return send(res, 400, { errors: ['invalid role or secret ID'] });
      return send(res, 200, this.authResponse(this.issueToken(this.approle.token), this.approle.token));
    }
    if (req.method === 'POST' && this.kubernetes && route === 'auth/kubernetes/login') {
      if (body?.role !== this.kubernetes.role || !this.kubernetes.jwts.has(body?.jwt))
        return send(res, 403, { errors: ['permission denied'] });
      return send(res, 200, this.authResponse(this.issueToken(this.kubernetes.token), this.kubernetes.token));
    }

    const state = token ? this.tokens.get(token) : undefined;
    if (!token || !state || (state.expiresAt !== null && state.expiresAt <= Date.now())) {
      return send(res, 403, { errors: ['permission denied'] });
    }
    if (req.method === 'GET' && route === 'auth/token/lookup-self') {
      const ttl =
        state.expiresAt === null ? 0 : Math.max(0, Math.floor((state.expiresAt - Date.now()) / 1000));
      return send(res, 200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: {
          accessor: 'accessor',
          creation_ttl: state.ttl,
          display_name: 'token',
          expire_time: state.expiresAt === null ? null : new Date(state.expiresAt).toISOString(),
          id: token,
          policies: ['default', 'mira'],
          renewable: state.renewable,
          ttl,
          type: 'service',
        },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    if (req.method === 'POST' && route === 'auth/token/renew-self') {
      if (!state.renewable) return send(res, 400, { errors: ['lease is not renewable'] });
      const now = Date.now();
      let ttl = Number(body?.increment ?? state.ttl);
      if (state.maxTtl > 0)
        ttl = Math.max(0, Math.min(ttl, Math.floor((state.createdAt + state.maxTtl * 1000 - now) / 1000)));
      state.expiresAt = now + ttl * 1000;
      return send(res, 200, this.authResponse(token, { ttl, renewable: state.renewable }));
    }
    if (req.method === 'GET') {
      for (const [mount, m] of this.mounts) {
        const prefix = m.version === 2 ? `${mount}/data/` : `${mount}/`;
        if (!route.startsWith(prefix)) continue;
        const secretPath = route.slice(prefix.length);
        if (this.denied.has(secretPath))
          return send(res, 403, { errors: ['1 error occurred:\n\t* permission denied\n\n'] });
        const entry = m.data.get(secretPath);
        if (!entry) return send(res, 404, { errors: [] });
        const data =
          m.version === 2
            ? {
                data: entry.data,
                metadata: {
                  created_time: new Date().toISOString(),
                  deletion_time: '',
                  destroyed: false,
                  version: entry.version,
                },
              }
            : entry.data;
        return send(res, 200, {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: m.version === 2 ? 0 : 2764800,
          data,
          wrap_info: null,
          warnings: null,
          auth: null,
        });
      }
    }
    return send(res, 404, { errors: [] });
  }

  private authResponse(token: string, spec: TokenSpec) {
    return {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: {
        client_token: token,
        accessor: 'accessor',
        policies: ['default', 'mira'],
        token_policies: ['default', 'mira'],
        metadata: {},
        lease_duration: spec.ttl,
        renewable: spec.renewable ?? true,
        entity_id: '',
        token_type: 'service',
        orphan: true,
      },
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
