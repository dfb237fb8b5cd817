// Two projects: unit specs beside the code, e2e specs that boot the real app.
// Run through `npm test` (node --experimental-vm-modules) so jest can load ESM-only NestJS 12.
const fs = require('node:fs');
const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swc.$schema;

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@mira/([a-z-]+)$': '<rootDir>/libs/$1/src' },
  rootDir: __dirname,
  // The service's config sections, registered as the running app has them (see the file).
  setupFiles: ['<rootDir>/apps/mira/test/support/config-sections.setup.js'],
};

module.exports = {
  testTimeout: 30000,
  // Two workers even on a 2-core machine: most e2e suites wait on servers and child processes
  // (each takes its own free ports), so the suite runs in about half the time.
  maxWorkers: 2,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/**/test/**/*.e2e-spec.ts'],
      // Secret-leak scan of every e2e app's log lines (apps/mira/test/support/log-capture.ts).
      globalSetup: '<rootDir>/apps/mira/test/support/log-scan.setup.js',
      globalTeardown: '<rootDir>/apps/mira/test/support/log-scan.teardown.js',
    },
  ],
};
