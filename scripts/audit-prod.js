// `npm audit --omit=dev --audit-level=high` for .ci/run, with accepted advisories
// (.audit-accepted.json: [{ "advisory": "GHSA-…", "reason": "…", "expires": "YYYY-MM-DD" }]).
// Fails on a high/critical advisory in a production dependency that is not accepted, or whose
// acceptance expired. When the registry's audit endpoint cannot be reached, says so plainly and
// does not fail (the check did not run; it is not a pass).
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const SEVERE = new Set(['high', 'critical']);

/** Advisory ids (GHSA or URL) of high/critical findings in an `npm audit --json` report. */
function severeAdvisories(report) {
  const found = new Map();
  for (const vuln of Object.values(report.vulnerabilities ?? {}))
    for (const via of vuln.via ?? [])
      if (typeof via === 'object' && SEVERE.has(via.severity)) {
        const id = /GHSA-[\w-]+/.exec(via.url ?? '')?.[0] ?? via.url ?? String(via.source);
        found.set(id, { id, package: via.name, severity: via.severity, title: via.title });
      }
  return [...found.values()];
}

/** `{ failures, accepted, problems }`: what fails CI, what is waived, what is wrong in the file. */
function evaluate(report, acceptedList, today = new Date().toISOString().slice(0, 10)) {
  const problems = [];
  const accepted = new Map();
  for (const a of acceptedList) {
    if (!a.advisory || !a.reason || !/^\d{4}-\d{2}-\d{2}$/.test(a.expires ?? ''))
      problems.push(`accepted advisory ${JSON.stringify(a)} needs advisory, reason and expires (YYYY-MM-DD)`);
    else accepted.set(a.advisory, a);
  }
  const failures = [];
  const waived = [];
  for (const adv of severeAdvisories(report)) {
    const a = accepted.get(adv.id);
    if (!a) failures.push(`${adv.severity} ${adv.id} in ${adv.package}: ${adv.title}`);
    else if (a.expires < today)
      failures.push(
        `${adv.severity} ${adv.id} in ${adv.package}: accepted until ${a.expires} (expired): ${a.reason}`,
      );
    else waived.push(`${adv.id} in ${adv.package} (accepted until ${a.expires}: ${a.reason})`);
  }
  return { failures: [...problems, ...failures], waived };
}

function main() {
  const root = join(__dirname, '..');
  const file = join(root, '.audit-accepted.json');
  const acceptedList = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    report = { error: { summary: (run.stderr || run.error?.message || 'no output').trim().split('\n')[0] } };
  }
  if (report.error || !report.vulnerabilities) {
    const why =
      report.error?.summary ||
      report.message ||
      report.error?.detail ||
      run.stderr.trim().split('\n').pop() ||
      'no vulnerability report';
    console.log(
      `audit: NOT RUN: the registry's audit endpoint could not be used (${why}); production dependencies were not checked`,
    );
    return 0;
  }
  const { failures, waived } = evaluate(report, acceptedList);
  for (const w of waived) console.log(`audit: accepted: ${w}`);
  for (const f of failures) console.error(`audit: ${f}`);
  console.log(
    `audit: ${failures.length === 0 ? 'ok' : `${failures.length} problem(s)`} (production dependencies, high and critical)`,
  );
  return failures.length === 0 ? 0 : 1;
}

module.exports = { evaluate, severeAdvisories };
if (require.main === module) process.exitCode = main();
