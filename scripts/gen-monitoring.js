// Renders deploy/monitoring/kustomize/prometheusrule.yaml from the plain rules file
// (deploy/monitoring/rules/mira.rules.yaml), so the two can never disagree.
// `node scripts/gen-monitoring.js --check` exits 1 when the committed file is out of date.
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { parse, stringify } = require('yaml');

const root = join(__dirname, '..');
const source = join(root, 'deploy/monitoring/rules/mira.rules.yaml');
const target = join(root, 'deploy/monitoring/kustomize/prometheusrule.yaml');

function renderPrometheusRule() {
  const { groups } = parse(readFileSync(source, 'utf8'));
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'mira', labels: { 'app.kubernetes.io/name': 'mira', role: 'alert-rules' } },
    spec: { groups },
  };
  return (
    '# Generated from deploy/monitoring/rules/mira.rules.yaml by `npm run gen:monitoring`: edit that file.\n' +
    stringify(resource, { lineWidth: 0 })
  );
}

module.exports = { renderPrometheusRule, target };

if (require.main === module) {
  const text = renderPrometheusRule();
  if (process.argv.includes('--check')) {
    if ((existsSync(target) ? readFileSync(target, 'utf8') : '') !== text) {
      process.stderr.write(`${target} is out of date: run \`npm run gen:monitoring\`\n`);
      process.exit(1);
    }
  } else writeFileSync(target, text);
}
