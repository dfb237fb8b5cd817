#!/usr/bin/env node
// Container HEALTHCHECK without curl or wget (the runtime image has neither): GET the liveness
// probe on the local port and exit 0 on a 2xx answer, 1 otherwise. Liveness, not readiness: a
// container that is draining or waiting on a dependency is still healthy and must not be killed.
// Usage: node scripts/healthcheck.js [path]   (port from PORT, as the service reads it; default 3000)
const http = require('node:http');

const path = process.argv[2] || '/healthz/live';
const port = Number(process.env.PORT || 3000);

const req = http.get({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
  res.resume();
  process.exitCode = res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1;
  if (process.exitCode) process.stderr.write(`healthcheck: GET ${path} answered ${res.statusCode}\n`);
});
req.on('timeout', () => req.destroy(new Error('timed out after 2000 ms')));
req.on('error', (err) => {
  process.stderr.write(`healthcheck: GET ${path} on port ${port} failed: ${err.message}\n`);
  process.exitCode = 1;
});
