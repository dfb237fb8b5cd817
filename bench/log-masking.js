// Log masking bench: the cost per line of the logger's streamWrite hook (registered secrets, then
// credential URLs: libs/logging/src/logging.options.ts), which runs on every line, access lines
// included. Baseline: JSON.stringify of the same line's fields (what producing the line costs
// anyway). Also the adversarial lines of review finding M3 (`a.a.a...` with a `://`), which the
// earlier regular expression took over a second to scan at 64 KB.
// Usage: node bench/log-masking.js   (BENCH_LINES lines per round, default 200000)
require('reflect-metadata');
const { report } = require('./lib/harness');

require('../scripts/ts-register');
const { buildPinoOptions } = require('../libs/logging/src/logging.options.ts');
const { RedactionRegistry } = require('../libs/logging/src/redaction/redaction.registry.ts');

const N = Number(process.env.BENCH_LINES ?? 200000);
const logging = { level: 'info', json: true, file: null, access_log_exclude: [] };
const hookWith = (secrets) => {
  const registry = new RedactionRegistry();
  for (let i = 0; i < secrets; i++) registry.register(`secret-value-${i}-0123456789abcdef`);
  return buildPinoOptions(logging, { redaction: registry }).hooks.streamWrite;
};
const lines = {
  'access line, no URL': {
    level: 'info',
    time: new Date().toISOString(),
    req: {
      id: 'r1',
      method: 'GET',
      url: '/api/v1/workflows?page=2',
      headers: { host: 'mira', 'user-agent': 'curl/8' },
    },
    res: { statusCode: 200 },
    responseTime: 3,
    msg: 'request completed',
  },
  'line with a URL + query': {
    level: 'info',
    msg: 'delivering to https://hooks.example.com/x?page=2&token=abc&sig=def',
  },
  'line with a Slack hook': {
    level: 'warn',
    msg: 'post failed',
    url: 'https://hooks.slack.com/services/T1/B2/XXXX',
  },
};

/** Best of 5 rounds, ns per call. */
function perCall(fn, arg, n) {
  fn(arg);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(arg);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / n);
  }
  return best;
}

const rows = [
  ['line', 'bytes', 'hook ns (0 secrets)', 'hook ns (10 secrets)', 'JSON.stringify ns', 'ratio (10 secrets)'],
];
for (const [name, fields] of Object.entries(lines)) {
  const line = `${JSON.stringify(fields)}\n`;
  const none = perCall(hookWith(0), line, N);
  const ten = perCall(hookWith(10), line, N);
  const base = perCall(JSON.stringify, fields, N);
  rows.push([name, line.length, none.toFixed(0), ten.toFixed(0), base.toFixed(0), (ten / base).toFixed(2)]);
}
report('streamWrite hook per line (lower is better; baseline JSON.stringify of the same fields)', rows);

const evil = [['adversarial line', 'hook ms']];
for (const kb of [16, 64]) {
  const hook = hookWith(0);
  const a = `${JSON.stringify({ msg: `GET /x?q=${'a.'.repeat((kb * 1024) / 2)}://a` })}\n`;
  const b = `${JSON.stringify({ msg: `GET /x?q=://${'a.'.repeat((kb * 1024) / 2)}` })}\n`;
  evil.push([`a.a.a...://a ${kb} KB`, (perCall(hook, a, 20) / 1e6).toFixed(3)]);
  evil.push([`://a.a.a... ${kb} KB`, (perCall(hook, b, 20) / 1e6).toFixed(3)]);
  const c = `${JSON.stringify({ msg: `GET /x?q=x://${'a.'.repeat((kb * 1024) / 2)}?token=t` })}\n`;
  evil.push([`x://a.a.a...?token= ${kb} KB`, (perCall(hook, c, 20) / 1e6).toFixed(3)]);
}
report('adversarial lines (review finding M3: 1.35 s at 64 KB before)', evil);
