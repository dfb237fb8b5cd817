import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A TLS Kubernetes API stand-in: a self-signed CA and a server certificate for 127.0.0.1 made with the
 * openssl CLI at test time; GET /api/v1/namespaces/{ns}/secrets/{name} (bearer token required, Status
 * bodies for 401/403/404) and GET /api/v1/namespaces/{ns}/secrets?watch=true (JSON lines).
 * `serviceAccountDir` holds token, ca.crt and namespace as a pod would have them.
 */
export class K8sTestServer {
  readonly secrets = new Map<string, Record<string, string>>();
  readonly requests: {
    path: string;
    auth: string | undefined;
    watch: boolean;
    fieldSelector: string | null;
  }[] = [];
  denied = new Set<string>();
  private readonly watchers = new Set<{ ns: string; name: string | null; res: ServerResponse }>();
  /**
   * When set, emulates a Role with `resourceNames`: get and watch are allowed for these names
   * only, and a watch must name its Secret with `fieldSelector=metadata.name=<name>` (a watch of
   * the whole collection is forbidden, as the API server's RBAC authorizer decides).
   */
  allowedNames: Set<string> | null = null;
  private version = 1;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
    readonly serviceAccountDir: string,
    readonly token: string,
  ) {}

  static async start(namespace = 'mira-ns', token = 'sa-token-k8s-1234'): Promise<K8sTestServer> {
    const dir = mkdtempSync(join(tmpdir(), 'mira-k8s-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ossl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=mira-test-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    ossl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
    );
    ossl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
    );
    const sa = join(dir, 'serviceaccount');
    execFileSync('mkdir', ['-p', sa]);
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'namespace'), namespace);
    writeFileSync(join(sa, 'ca.crt'), readFileSync(join(dir, 'ca.crt')));
    const ref: { self?: K8sTestServer } = {};
    const server = createServer(
      { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
      (req, res) => ref.self!.handle(req.url ?? '/', req.headers.authorization, res),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    ref.self = new K8sTestServer(server, `https://127.0.0.1:${port}`, port, sa, token);
    return ref.self;
  }

  /** Creates or updates a Secret (string values; stored base64 as the API does) and notifies watchers. */
  setSecret(ns: string, name: string, data: Record<string, string>): void {
    const exists = this.secrets.has(`${ns}/${name}`);
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    this.secrets.set(`${ns}/${name}`, encoded);
    this.version++;
    for (const w of this.watchers)
      if (w.ns === ns && (w.name === null || w.name === name))
        w.res.write(
          `${JSON.stringify({ type: exists ? 'MODIFIED' : 'ADDED', object: this.object(ns, name, encoded) })}\n`,
        );
  }

  watchCount(): number {
    return this.watchers.size;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private object(ns: string, name: string, data: Record<string, string>) {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns, resourceVersion: String(this.version), uid: `${ns}-${name}` },
      type: 'Opaque',
      data,
    };
  }

  private handle(rawUrl: string, auth: string | undefined, res: ServerResponse): void {
    const url = new URL(rawUrl, 'https://k8s');
    const watch = url.searchParams.get('watch') === 'true';
    this.requests.push({
      path: url.pathname,
      auth,
      watch,
      fieldSelector: url.searchParams.get('fieldSelector'),
    });
    if (auth !== `Bearer ${this.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const one = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
    const list = /^\/api\/v1\/namespaces\/([^/]+)\/secrets$/.exec(url.pathname);
    if (one && !watch) {
      const [, ns, name] = one;
      if (this.denied.has(name) || (this.allowedNames && !this.allowedNames.has(name)))
        return status(
          res,
          403,
          'Forbidden',
          `secrets "${name}" is forbidden: User cannot get resource "secrets"`,
        );
      const data = this.secrets.get(`${ns}/${name}`);
      if (!data) return status(res, 404, 'NotFound', `secrets "${name}" not found`);
      return json(res, 200, this.object(ns, name, data));
    }
    if (list && watch) {
      const selector = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '');
      const name = selector ? selector[1] : null;
      if (this.allowedNames && (name === null || !this.allowedNames.has(name)))
        return status(
          res,
          403,
          'Forbidden',
          `secrets${name ? ` "${name}"` : ''} is forbidden: User cannot watch resource "secrets" in API group "" in the namespace "${list[1]}"`,
        );
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const entry = { ns: list[1], name, res };
      this.watchers.add(entry);
      res.on('close', () => this.watchers.delete(entry));
      return;
    }
    return status(res, 404, 'NotFound', 'the server could not find the requested resource');
  }
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}
