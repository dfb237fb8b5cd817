import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { waitReady } from './support/cluster';
import { keyedApi, keyedServiceConfig, secretKey as secret } from './support/keyed-api';
import {
  builtEntry,
  eventually,
  startService,
  tempDir,
  type ServiceProcess,
} from './support/service-process';

// A workflow step behind a flag over real HTTP, with the BUILT service as child processes on a
// real SQLite file: project_initialization's assess_risks asks agent.risk_assessment.rules, the
// record pins the variant when the workflow is created, and an approval after the flag moved
// (by a live reload of the config file, or across a restart) still runs the pinned variant.

const KEYS = {
  requester: { name: 'requester', key: secret('req'), roles: ['submitter'] },
  approver: { name: 'approver', key: secret('apr'), roles: ['approver'] },
} as const;

const RULES = 'agent.risk_assessment.rules';
const featuresFor = (variant: 'v1' | 'v2') => ({
  flags: { [RULES]: { variants: { v1: 'v1', v2: 'v2' }, defaultVariant: variant } },
});
/** Above governance.financial_threshold: held for approval. */
const HIGH_RISK = { financial_impact: 250000, compliance_level: 'low', explainability_score: 0.9 };
// v1 matches the keyword "new" inside "renewal" (one risk); v2 matches whole words only (none).
const PROJECT = { name: 'Pinned', description: 'Contract renewal with the vendor', goals: ['design'] };

/** One API call over real HTTP as `who` (an API key the test configured). */
const api = keyedApi(KEYS, { timeoutMs: 60_000 });

const started: ServiceProcess[] = [];
async function start(dbPath: string, variant: 'v1' | 'v2'): Promise<ServiceProcess> {
  const s = await startService({
    config: {
      ...keyedServiceConfig(KEYS),
      config: { hot_reload: true, debounce_ms: 20 },
      state: { backend: 'sqlite', sqlite: { path: dbPath } },
      features: featuresFor(variant),
    },
  });
  started.push(s);
  await waitReady(s);
  return s;
}

/** Rewrites the service's config file with the flag at `variant` (atomically, as an editor saving). */
function moveFlag(s: ServiceProcess, variant: 'v1' | 'v2'): void {
  const doc = parse(readFileSync(s.configFile, 'utf8')) as Record<string, unknown>;
  const tmp = `${s.configFile}.tmp`;
  writeFileSync(tmp, stringify({ ...doc, features: featuresFor(variant) }));
  renameSync(tmp, s.configFile);
}

/** The rules flag as an OFREP client sees it: the reload has applied once this says `variant`. */
async function servedVariant(s: ServiceProcess): Promise<string> {
  const r = await api(s.url, `/ofrep/v1/evaluate/flags/${RULES}`, 'requester', {
    context: { targetingKey: 'probe' },
  });
  return r.body.variant;
}

async function submit(s: ServiceProcess) {
  const created = await api(s.url, '/api/v1/workflows', 'requester', {
    workflow_type: 'project_initialization',
    data: PROJECT,
    governance_data: HIGH_RISK,
  });
  expect(created.status).toBe(202);
  expect(created.body.status).toBe('pending_approval');
  return created.body as { workflow_id: string; flag_variants: Record<string, string> };
}

async function approveAndFinish(s: ServiceProcess, id: string) {
  const approved = await api(s.url, `/api/v1/workflows/${id}/approve`, 'approver', { comment: 'ok' });
  expect(approved.status).toBe(200);
  return eventually(
    async () => {
      const r = await api(s.url, `/api/v1/workflows/${id}`, 'approver');
      return r.body?.status === 'completed' || r.body?.status === 'failed' ? r.body : undefined;
    },
    60_000,
    `workflow ${id} to finish`,
  );
}

const risksOf = (w: { steps: { step: string; result: any }[] }) =>
  w.steps.find((st) => st.step === 'assess_risks')?.result;

describe('a workflow step behind a flag keeps its variant (built service, real HTTP, SQLite file)', () => {
  beforeAll(() => {
    builtEntry();
  }, 180_000);
  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
  });

  it('started under v1 and held; the flag moves to v2 by a live reload; approved, it completes under v1 while a new one runs v2', async () => {
    const s = await start(join(tempDir(), 'mira.db'), 'v1');
    const first = await submit(s);
    expect(first.flag_variants).toEqual({ [RULES]: 'v1' });

    moveFlag(s, 'v2');
    await eventually(async () => (await servedVariant(s)) === 'v2', 30_000, 'the reload to serve v2');

    const done = await approveAndFinish(s, first.workflow_id);
    expect(done.status).toBe('completed');
    expect(done.flag_variants).toEqual({ [RULES]: 'v1' });
    expect(risksOf(done)).toMatchObject({ rules: 'v1', total_risks: 1 });

    const second = await submit(s);
    expect(second.flag_variants).toEqual({ [RULES]: 'v2' });
    const later = await approveAndFinish(s, second.workflow_id);
    expect(later.flag_variants).toEqual({ [RULES]: 'v2' });
    expect(risksOf(later)).toMatchObject({ rules: 'v2', total_risks: 0 });

    // Lists show the pinned variants too (the summary view).
    const list = await api(s.url, '/api/v1/workflows?type=project_initialization', 'approver');
    const byId = new Map(list.body.items.map((w: any) => [w.workflow_id, w.flag_variants]));
    expect(byId.get(first.workflow_id)).toEqual({ [RULES]: 'v1' });
    expect(byId.get(second.workflow_id)).toEqual({ [RULES]: 'v2' });
  }, 120_000);

  it('a restart in between (same SQLite file, the new process configured with v2) keeps v1', async () => {
    const dbPath = join(tempDir(), 'mira.db');
    const before = await start(dbPath, 'v1');
    const held = await submit(before);
    expect(held.flag_variants).toEqual({ [RULES]: 'v1' });
    expect((await before.signal('SIGTERM').exit).code).toBe(0);

    const after = await start(dbPath, 'v2');
    expect(await servedVariant(after)).toBe('v2');
    const done = await approveAndFinish(after, held.workflow_id);
    expect(done).toMatchObject({ status: 'completed', flag_variants: { [RULES]: 'v1' } });
    expect(risksOf(done)).toMatchObject({ rules: 'v1', total_risks: 1 });
  }, 120_000);
});
