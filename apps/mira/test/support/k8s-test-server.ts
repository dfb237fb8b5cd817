import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenLoopback, sendJson as json, type LoopbackServer } from './loopback-server';

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
    private readonly server: LoopbackServer,
    readonly serviceAccountDir: string,
    readonly token: string,
  ) {}

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  static async start(namespace = 'mira-ns', token = 'sa-token-k8s-1234'): Promise<K8sTestServer> {
    const dir = mkdtempSync(join(tmpdir(), 'mira-k8s-'));
    // A self-signed CA, and a certificate for 127.0.0.1 it signs (P-256 keys): command lines
    // without spaces inside an argument, so split on spaces.
    const ossl = (args: string) => execFileSync('openssl', args.split(' '), { cwd: dir, stdio: 'pipe' });
    const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
    ossl(
      `req -x509 ${newKey} -keyout ca.key -out ca.crt -days 1 -subj /CN=mira-test-ca ` +
        '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
    );
    ossl(`req ${newKey} -keyout server.key -out server.csr -subj /CN=127.0.0.1`);
    writeFileSync(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
    );
    ossl(
      'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile ext.cnf',
    );
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'namespace'), namespace);
    writeFileSync(join(sa, 'ca.crt'), readFileSync(join(dir, 'ca.crt')));
    const ref: { self?: K8sTestServer } = {};
    const server = createServer(
      { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
      (req, res) => ref.self!.handle(req.url ?? '/', req.headers.authorization, res),
    );
    ref.self = new K8sTestServer(await listenLoopback(server), sa, token);
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

  /** Ends every watch too (their connections are cut). */
  stop(): Promise<void> {
    return this.server.close();
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
