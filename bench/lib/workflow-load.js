'use strict';
// Shared by the workflow benches (workflows.js, tracing.js): the same low-risk workflow, the same
// service settings, the same load and the same line per run, so their figures compare.
const { startServer, loadWithCpu } = require('./harness');

// Assessed by the governance agent (below every threshold: risk "low"), then the three steps run.
const WORKFLOW_BODY = JSON.stringify({
  workflow_type: 'project_initialization',
  data: { name: 'Bench', goals: ['Design', 'Build', 'Launch'], duration_weeks: 12 },
  governance_data: { financial_impact: 500, compliance_level: 'low', explainability_score: 0.95 },
});

/** One service process; rate limiting off (one client IP), the rest chosen by environment. */
function startMira(entry, env) {
  return startServer(
    [entry],
    { MIRA_API__RATE_LIMIT__ENABLED: 'false', MIRA_LOG_LEVEL: 'warn', ...env },
    '/healthz',
  );
}

/** A round of POST /api/v1/workflows against `server`, for sideBySide. */
function workflowLoad(server, { duration, connections }) {
  return () =>
    loadWithCpu(server, {
      url: `${server.url}/api/v1/workflows`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: WORKFLOW_BODY,
      duration,
      connections,
    });
}

/** `1234 wf/s (p50 .. ms, p99 .. ms, non-2xx .., cpu .. us/req)` */
function formatWorkflowRun(r) {
  const cpu = r.cpuPerRequest === null ? '' : `, cpu ${r.cpuPerRequest.toFixed(0)} us/req`;
  return `${Math.round(r.rps)} wf/s (p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}${cpu})`;
}

module.exports = { WORKFLOW_BODY, startMira, workflowLoad, formatWorkflowRun };
