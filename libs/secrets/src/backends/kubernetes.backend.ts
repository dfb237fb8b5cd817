import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, type LoggerService } from '@nestjs/common';
import type { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { SecretsCircuitBreaker } from '../resilience/secrets.breaker';
import { SecretsBackendProvider } from '../secrets.decorator';
import { formatRef, SecretsError } from '../secrets.error';
import type { SecretsBackend, SecretsBackendContext, SecretsBackendHealth } from '../secrets.interface';
import { isTransient, statusOf } from '../resilience/secrets.transient';

const WATCH_RESTART_MS = 1000;

/**
 * Kubernetes Secrets through @kubernetes/client-node (loaded lazily here only): `secret://<name>:<key>`
 * is data key `<key>` of Secret `<name>`, base64-decoded. Config: `secrets.kubernetes.kubeconfig`, else
 * in-cluster (KUBERNETES_SERVICE_HOST/PORT + token and CA from `service_account_dir`), else the default
 * kubeconfig. Namespace: `secrets.kubernetes.namespace`, else the pod's namespace file, else the
 * kubeconfig context's. With `watch: true` Secret events trigger an immediate re-read.
 */
@Injectable()
@SecretsBackendProvider('kubernetes')
export class KubernetesSecretsBackend implements SecretsBackend {
  private api!: CoreV1Api;
  private kc!: KubeConfig;
  private namespace = 'default';
  private breaker!: SecretsCircuitBreaker;
  private logger!: LoggerService;
  /** One watch per Secret read so far (RBAC `resourceNames` only authorises named watches). */
  private readonly watches = new Map<
    string,
    { abort: AbortController | null; timer: NodeJS.Timeout | null; live: boolean }
  >();
  private watchFactory: (() => Watch) | null = null;
  private notify: ((name: string) => void) | null = null;
  private watchError: string | null = null;
  private closed = false;
  private mode: 'kubeconfig' | 'in-cluster' | 'default' = 'default';

  async init(context: SecretsBackendContext): Promise<void> {
    const cfg = context.options.kubernetes;
    this.logger = context.logger;
    const k8s = await import('@kubernetes/client-node');
    this.kc = new k8s.KubeConfig();
    const saDir = cfg.service_account_dir;
    const host = context.env.KUBERNETES_SERVICE_HOST;
    const port = context.env.KUBERNETES_SERVICE_PORT;
    try {
      if (cfg.kubeconfig) {
        this.mode = 'kubeconfig';
        this.kc.loadFromFile(cfg.kubeconfig);
      } else if (host && port) {
        this.mode = 'in-cluster';
        // Same shape as KubeConfig.loadFromCluster(), with the service-account directory configurable.
        const server = `${['80', '8080', '8001'].includes(port) ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
        this.kc.loadFromClusterAndUser(
          { name: 'inCluster', server, caFile: join(saDir, 'ca.crt'), skipTLSVerify: false },
          {
            name: 'inClusterUser',
            authProvider: { name: 'tokenFile', config: { tokenFile: join(saDir, 'token') } },
          },
        );
      } else {
        this.kc.loadFromDefault();
      }
    } catch (err) {
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        `Kubernetes client config could not be loaded (${this.mode}): ${(err as Error).message}; set secrets.kubernetes.kubeconfig or run in a pod`,
      );
    }
    if (!this.kc.getCurrentCluster())
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        'No Kubernetes cluster configured: set secrets.kubernetes.kubeconfig, KUBECONFIG, or run in a pod',
      );
    const nsFile = join(saDir, 'namespace');
    this.namespace =
      cfg.namespace ??
      (existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined) ??
      this.kc.getContextObject(this.kc.getCurrentContext())?.namespace ??
      'default';
    this.api = this.kc.makeApiClient(k8s.CoreV1Api);
    this.breaker = new SecretsCircuitBreaker(
      'kubernetes',
      context.options.circuit_breaker,
      context.reportCircuit,
    );
    context.reportCircuit(this.breaker.state);
    if (cfg.watch) {
      const watch = new k8s.Watch(this.kc);
      this.watchFactory = () => watch;
      this.notify = context.notifyChanged;
    }
  }

  async read(name: string, key: string | undefined): Promise<string | undefined> {
    const ref = formatRef(name, key);
    let secret: { data?: Record<string, string> };
    try {
      secret = await this.breaker.call(() =>
        this.api.readNamespacedSecret({ name, namespace: this.namespace }),
      );
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return undefined;
      if (status === 403 || status === 401)
        throw new SecretsError(
          'SECRET_ACCESS_DENIED',
          `Kubernetes denied reading ${ref} in namespace ${this.namespace} (${status}): grant the service account "get" on secrets`,
          { transient: false, status },
        );
      if (err instanceof SecretsError) throw err;
      throw new SecretsError(
        'SECRETS_BACKEND_UNAVAILABLE',
        `Kubernetes read of ${ref} in namespace ${this.namespace} failed: ${brief(err)}`,
        { transient: isTransient(err), status, cause: err },
      );
    }
    if (this.watchFactory && !this.watches.has(name)) this.startWatch(name);
    const data = secret.data ?? {};
    const keys = Object.keys(data);
    const field = key ?? (keys.length === 1 ? keys[0] : undefined);
    if (field === undefined || data[field] === undefined) return undefined;
    return Buffer.from(data[field], 'base64').toString('utf8');
  }

  health(): SecretsBackendHealth {
    const circuit = this.breaker?.state ?? 'closed';
    const degraded = circuit === 'open' || this.watchError !== null;
    return {
      status: degraded ? 'degraded' : 'healthy',
      reason:
        circuit === 'open'
          ? 'Kubernetes API circuit open: serving cached secrets'
          : this.watchError
            ? `Secret watch interrupted: ${this.watchError}`
            : null,
      circuit,
      mode: this.mode,
      namespace: this.namespace,
      watching: [...this.watches].filter(([, w]) => w.live).map(([n]) => n),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watches.values()) {
      if (w.timer) clearTimeout(w.timer);
      w.abort?.abort();
    }
    this.breaker?.shutdown();
  }

  /**
   * Watches one Secret with `fieldSelector=metadata.name=<name>`: a Role restricted to named
   * Secrets (`resourceNames`) authorises exactly this, while a watch of the whole collection
   * would be forbidden. Restarts after a drop; any event re-reads the Secret.
   */
  private startWatch(name: string): void {
    if (this.closed || !this.watchFactory || !this.notify) return;
    const notify = this.notify;
    const entry = this.watches.get(name) ?? { abort: null, timer: null, live: false };
    this.watches.set(name, entry);
    let ended = false;
    const restart = (err: unknown) => {
      ended = true;
      entry.live = false;
      if (this.closed) return;
      // The client ends an idle watch after its request timeout (TimeoutError) and the server
      // ends watches on its own schedule (no error): both are routine reconnects, not failures.
      const routine = !err || ['AbortError', 'TimeoutError'].includes((err as Error).name);
      if (!routine) {
        this.watchError = `${name}: ${brief(err)}`;
        this.logger.warn?.(`Kubernetes watch of secret ${name} ended: ${brief(err)}; restarting`);
      }
      entry.timer = setTimeout(() => this.startWatch(name), WATCH_RESTART_MS);
      entry.timer.unref();
    };
    this.watchFactory()
      .watch(
        `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets`,
        { fieldSelector: `metadata.name=${name}` },
        (_type: string, obj: { metadata?: { name?: string } }) => {
          entry.live = true;
          this.watchError = null;
          if (obj?.metadata?.name) notify(obj.metadata.name);
        },
        restart,
      )
      .then((controller: AbortController) => {
        entry.abort = controller;
        // watch() resolves even when it already failed (it reports through done()).
        if (!this.closed && !ended) entry.live = true;
      })
      .catch(restart);
  }
}

/** HTTP status and the API's Status message; never the raw body (ApiException.message embeds it). */
function brief(err: unknown): string {
  const status = statusOf(err);
  const body = (err as { body?: unknown }).body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = undefined;
    }
  } else if (body && typeof body === 'object') message = (body as { message?: string }).message;
  if (status !== undefined) return `HTTP ${status}${message ? `: ${message}` : ''}`;
  const code =
    (err as { code?: unknown; cause?: { code?: unknown } }).code ??
    (err as { cause?: { code?: unknown } }).cause?.code;
  return [typeof code === 'string' ? code : undefined, (err as Error).message].filter(Boolean).join(': ');
}
