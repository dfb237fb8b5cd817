// Jest globalTeardown (e2e project): scans every captured log line of the run for every recorded
// secret value. Any hit fails the run (the files are kept for inspection); zero hits removes them.
const { readdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

function scan(dir) {
  const files = readdirSync(dir);
  const values = new Set();
  for (const f of files.filter((f) => f.startsWith('secrets-')))
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) values.add(JSON.parse(line));
  const hits = [];
  let lines = 0;
  for (const f of files.filter((f) => f.startsWith('logs-'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    lines += text.split('\n').length - 1;
    for (const v of values) {
      // Also the JSON-escaped form: that is how a value with quotes or newlines appears in a JSON line.
      for (const form of new Set([v, JSON.stringify(v).slice(1, -1)]))
        if (text.includes(form)) hits.push({ file: f, valueLength: v.length });
    }
  }
  return { values: values.size, lines, hits };
}

module.exports = async function teardown() {
  const dir = process.env.MIRA_E2E_LOG_DIR;
  if (!dir) return;
  const result = scan(dir);
  if (result.hits.length > 0) {
    throw new Error(
      `Secret leak scan: ${result.hits.length} secret value(s) found in e2e log output (files kept in ${dir}): ` +
        result.hits.map((h) => `${h.file} (a ${h.valueLength}-char value)`).join(', '),
    );
  }
  process.stdout.write(
    `\nSecret leak scan: ${result.values} secret values x ${result.lines} log lines: 0 hits\n`,
  );
  rmSync(dir, { recursive: true, force: true });
};
module.exports.scan = scan;
