'use strict';
// Two-replica mode of bench/workflows.js: two service processes on ONE PostgreSQL database, loaded
// at the same time, while pg_stat_activity is sampled for backends waiting on a lock.
const { loadWithCpu } = require('./harness');
const { WORKFLOW_BODY, startMira } = require('./workflow-load');

/**
 * Samples pg_stat_activity every `everyMs` for the service's backends (application_name 'mira'):
 * how many run a statement (state active) and how many of those wait on a heavyweight lock
 * (wait_event_type 'Lock', advisory locks included). lock share = waiting samples / active samples:
 * the share of the time requests spend in the database that is spent waiting on locks (an upper
 * bound of their share of the whole request time, which also has HTTP and Node work).
 */
function sampleLocks(url, everyMs = 20) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, application_name: 'mira-bench-sampler' });
  let active = 0;
  let waiting = 0;
  let samples = 0;
  let stopped = false;
  const done = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query(
        `SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
                count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')::int AS waiting
         FROM pg_stat_activity WHERE application_name = 'mira'`,
      );
      active += rows[0].active;
      waiting += rows[0].waiting;
      samples++;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await client.end();
  })();
  return async () => {
    stopped = true;
    await done;
    return { samples, active, waiting, share: active ? waiting / active : 0 };
  };
}

/** Both replicas under load at once (`connections` each); figures summed, CPU per workflow over both. */
async function loadReplicas(servers, url, { duration, connections }) {
  const stop = sampleLocks(url);
  const runs = await Promise.all(
    servers.map((s) =>
      loadWithCpu(s, {
        url: `${s.url}/api/v1/workflows`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: WORKFLOW_BODY,
        duration,
        connections,
      }),
    ),
  );
  const locks = await stop();
  const total = runs.reduce((a, r) => a + r.total, 0);
  const cpu = runs.every((r) => r.cpuPerRequest !== null)
    ? runs.reduce((a, r) => a + r.cpuPerRequest * r.total, 0) / total
    : null;
  return {
    rps: runs.reduce((a, r) => a + r.rps, 0),
    p99: Math.max(...runs.map((r) => r.p99)),
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    cpuPerRequest: cpu,
    locks,
  };
}

/** Starts `n` replicas of `entry` on the database at `url`. */
async function startReplicas(entry, url, n = 2) {
  const servers = [];
  for (let i = 0; i < n; i++)
    servers.push(await startMira(entry, { MIRA_STATE__BACKEND: 'postgres', MIRA_STATE__POSTGRES__URL: url }));
  return servers;
}

/** `1234 wf/s (p99 .. ms, non-2xx .., cpu .. us/wf, lock wait 1.2 % of active backend samples)` */
function formatReplicaRun(r) {
  const cpu = r.cpuPerRequest === null ? '' : `, cpu ${r.cpuPerRequest.toFixed(0)} us/wf`;
  return `${Math.round(r.rps)} wf/s (p99 ${r.p99} ms, non-2xx ${r.non2xx}${cpu}, lock wait ${(r.locks.share * 100).toFixed(1)} % of ${r.locks.active} active-backend samples)`;
}

module.exports = { startReplicas, loadReplicas, formatReplicaRun };
