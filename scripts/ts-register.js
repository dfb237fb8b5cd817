// Lets plain node scripts (benchmarks, the docs generator, test child processes) require the
// TypeScript sources directly: `.ts` files compile on the fly with the project's .swcrc (the
// same transform jest uses) and `@mira/<lib>` resolves to libs/<lib>/src, as in tsconfig paths.
// Usage: require('<path to>/scripts/ts-register'); then require('../libs/x/src/y.ts').
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..');

if (!require.extensions['.ts']) {
  const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
  delete swcrc.$schema;
  require.extensions['.ts'] = (mod, filename) => {
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      ...swcrc,
      filename,
      swcrc: false,
      sourceMaps: false,
    });
    mod._compile(code, filename);
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const m = /^@mira\/([a-z-]+)$/.exec(request);
    return resolve.call(this, m ? join(root, `libs/${m[1]}/src/index.ts`) : request, ...rest);
  };
}

module.exports = { root };
