import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support/child';
import { parseDockerfile, readRepoFile } from './support/deploy-manifests';

// The SBOM step: scripts/sbom.js (what .ci/run runs) on a temp clean project with a real
// dependency installed, the .ci/run wiring, and the image generating its own before npm goes.

const sbom = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'scripts/sbom.js'), ...args], { encoding: 'utf8' });

describe('CycloneDX SBOM of the production dependencies', () => {
  it('scripts/sbom.js writes a CycloneDX document listing the installed production dependency', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-sbom-'));
    mkdirSync(join(dir, 'node_modules'));
    // A real installed tree (copied, not linked: npm reads a linked node_modules as incomplete).
    cpSync(join(repoRoot, 'node_modules/ms'), join(dir, 'node_modules/ms'), { recursive: true });
    const ms = JSON.parse(readFileSync(join(dir, 'node_modules/ms/package.json'), 'utf8')) as {
      version: string;
    };
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'sbom-probe', version: '1.0.0', dependencies: { ms: ms.version } }),
    );
    const out = join(dir, 'out/bom.json');
    const r = sbom(['--dir', dir, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`sbom: 1 components -> ${out}`);
    const bom = JSON.parse(readFileSync(out, 'utf8')) as {
      bomFormat: string;
      components: { name: string; version: string; purl: string }[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.map((c) => [c.name, c.version, c.purl])).toEqual([
      ['ms', ms.version, `pkg:npm/ms@${ms.version}`],
    ]);
  });

  it("fails with npm's reason when the tree is incomplete, writing nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-sbom-'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { ms: '^2' } }),
    );
    const r = sbom(['--dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^sbom: npm sbom failed: .*missing: ms@\^2/);
  });

  it('.ci/run keeps it as an artefact after npm ci; the folder is gitignored', () => {
    const ci = readRepoFile('.ci/run');
    expect(ci).toContain('node scripts/sbom.js ||');
    expect(ci.indexOf('node scripts/sbom.js')).toBeGreaterThan(ci.indexOf('npm ci '));
    expect(readRepoFile('.gitignore').split('\n')).toContain('artifacts/');
  });

  it('the image generates the SBOM of its own production install before npm is removed', () => {
    const runtime = parseDockerfile(readRepoFile('Dockerfile')).stages.at(-1)!;
    const run = runtime.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('npm sbom'));
    expect(run).toBeDefined();
    const args = run!.args;
    expect(args).toContain('npm sbom --sbom-format cyclonedx --omit dev > /app/sbom/mira.cdx.json');
    expect(args.indexOf('npm ci --omit=dev')).toBeLessThan(args.indexOf('npm sbom'));
    expect(args.indexOf('npm sbom')).toBeLessThan(args.indexOf('/usr/local/lib/node_modules/npm'));
  });
});
