// Test entry for startup-modules.e2e-spec.ts: the BUILT service's own bootstrap (dist/), unchanged.
// Once it listens, prints which of the packages that must not load at start are in require.cache,
// as one line `startup-modules {...}`; on SIGUSR2 prints the line again (after the test has used
// the paths that do load them).
const { join } = require('node:path');

const dist = join(__dirname, '../../../../dist');
const { bootstrap } = require(join(dist, 'apps/mira/src/main.js'));

/** Packages loaded only on a path not taken at start. */
const LAZY = ['@nestjs/swagger'];

function report() {
  const files = Object.keys(require.cache);
  const loaded = Object.fromEntries(
    LAZY.map((name) => [name, files.some((f) => f.includes(`/node_modules/${name}/`))]),
  );
  process.stdout.write(`startup-modules ${JSON.stringify(loaded)}\n`);
}

process.on('SIGUSR2', report);
bootstrap().then(report, (err) => {
  process.stderr.write(`startup-modules-child: ${err.message}\n`);
  process.exit(1);
});
