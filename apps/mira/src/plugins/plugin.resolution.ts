import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire, registerHooks, type ResolveHookContext, type ResolveFnOutput } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Packages of which a second copy in one process breaks DI, decorators or context. */
const FRAMEWORK_SINGLETONS = /^(@nestjs\/[^/]+|reflect-metadata|rxjs|nestjs-cls)$/;

/** Where the running service keeps its libs: dist/libs when built, libs/ in a checkout. */
const LIBS_DIR = join(__dirname, '../../../../libs');

/**
 * Makes plugins share the running service's modules. A plugin imports `@mira/agents` or
 * `@nestjs/common` by name, but it may lie anywhere (a file in a directory without
 * node_modules, a package with its own copies): Node alone would not find `@mira/*` at all
 * (the names exist only as tsconfig paths, rewritten to relative requires in dist/), and a
 * second copy of Nest, zod or a Mira lib breaks decorators, DI tokens and instanceof checks.
 *
 * So a resolve hook (module.registerHooks: public, synchronous, and it covers `require` and
 * `import` alike) sends `@mira/<lib>` to the service's own lib, and sends the packages the
 * service itself depends on (package.json `dependencies`) to the service's copy when the
 * request comes from plugin code. A plugin's own dependencies keep their own copies of other
 * packages (a library may need another major of, say, yaml), but the framework singletons
 * (FRAMEWORK_SINGLETONS: Nest, reflect-metadata, rxjs, nestjs-cls) always come from the service
 * when asked for from outside the service's own tree: a Nest library installed with a plugin
 * (npm installs its peer @nestjs/common next to it) must see the service's Reflector and DI
 * tokens. Not covered: `require.resolve()` (it skips hooks).
 */
export class PluginResolution {
  private readonly libs: ReadonlyMap<string, string>;
  private readonly packages: ReadonlySet<string>;
  private readonly serviceRequire: NodeRequire;
  private readonly anchor: string;
  /** The service's own code and packages: requests from there resolve as usual. */
  private readonly serviceDirs: string[];
  private readonly roots = new Set<string>();
  private installed = false;

  constructor(
    libsDir = LIBS_DIR,
    /** A directory inside the service: its package.json (nearest above) and node_modules apply. */
    serviceDir = __dirname,
  ) {
    this.libs = findLibs(libsDir);
    const pkg = nearestPackageJson(serviceDir);
    this.packages = new Set(Object.keys(readJson(pkg)?.dependencies ?? {}));
    this.serviceRequire = createRequire(pkg ?? join(serviceDir, 'index.js'));
    this.anchor = pathToFileURL(pkg ?? join(serviceDir, 'index.js')).href;
    const root = pkg ? dirname(pkg) : serviceDir;
    this.serviceDirs = ['node_modules', 'dist', 'libs', 'apps'].map((d) => join(root, d));
  }

  /** The public lib names plugins can import (`@mira/<name>`). */
  get libNames(): string[] {
    return [...this.libs.keys()].map((l) => `@mira/${l}`);
  }

  /** Treats everything under `root` (outside its own node_modules) as plugin code; installs the hook once. */
  addPluginRoot(root: string): void {
    this.roots.add(root);
    if (this.installed) return;
    this.installed = true;
    registerHooks({ resolve: (specifier, context, next) => this.resolve(specifier, context, next) });
  }

  resolve(
    specifier: string,
    context: ResolveHookContext,
    next: (specifier: string, context?: Partial<ResolveHookContext>) => ResolveFnOutput,
  ): ResolveFnOutput {
    const lib = /^@mira\/([a-z0-9-]+)$/.exec(specifier);
    const libFile = lib && this.libs.get(lib[1]);
    if (libFile) return { url: pathToFileURL(libFile).href, shortCircuit: true };
    const name = packageName(specifier);
    if (
      name &&
      this.packages.has(name) &&
      (this.isPluginCode(context.parentURL) ||
        (FRAMEWORK_SINGLETONS.test(name) && this.isOutsideService(context.parentURL)))
    ) {
      try {
        // CommonJS resolution ignores a changed parentURL, so `require` is resolved here directly.
        return context.conditions.includes('require')
          ? { url: pathToFileURL(this.serviceRequire.resolve(specifier)).href, shortCircuit: true }
          : next(specifier, { ...context, parentURL: this.anchor });
      } catch {
        // A subpath the service's copy lacks: the plugin's own resolution decides.
      }
    }
    return next(specifier, context);
  }

  /** A file not in the service's own code or node_modules (a plugin, or a plugin's dependency). */
  private isOutsideService(parentURL: string | undefined): boolean {
    if (!parentURL?.startsWith('file:')) return false;
    const file = fileURLToPath(parentURL);
    return !this.serviceDirs.some((dir) => {
      const rel = relative(dir, file);
      return rel && !rel.startsWith('..');
    });
  }

  private isPluginCode(parentURL: string | undefined): boolean {
    if (!parentURL?.startsWith('file:')) return false;
    const file = fileURLToPath(parentURL);
    for (const root of this.roots) {
      const rel = relative(root, file);
      if (rel && !rel.startsWith('..') && !rel.split(sep).includes('node_modules')) return true;
    }
    return false;
  }
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`; null for relative, absolute and node: specifiers. */
export function packageName(specifier: string): string | null {
  if (/^(\.|\/|[a-zA-Z]:\\|node:|file:|data:)/.test(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? (parts.length > 1 ? `${parts[0]}/${parts[1]}` : null) : parts[0];
}

/** The directory of the nearest package.json with a name above `file`, else the file's own directory. */
export function pluginRoot(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (typeof readJson(join(dir, 'package.json'))?.name === 'string') return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}

function findLibs(dir: string): Map<string, string> {
  const libs = new Map<string, string>();
  if (!existsSync(dir)) return libs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const index = ['index.js', 'index.ts'].map((f) => join(dir, entry.name, 'src', f)).find(existsSync);
    if (index) libs.set(entry.name, index);
  }
  return libs;
}

function nearestPackageJson(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
    if (dirname(dir) === dir) return null;
  }
}

function readJson(file: string | null): { name?: unknown; dependencies?: Record<string, string> } | null {
  if (!file) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
