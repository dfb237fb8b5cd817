import { Logger } from '@nestjs/common';
import { FlagsModule } from '@mira/flags';
import { WorkflowSweeper } from './workflow.sweeper';
import {
  alice,
  bob,
  boot,
  createOrphanedRun,
  projectData,
  reconfigure,
  WEDNESDAY,
  type Booted,
} from './workflow.engine.testing';

// A step behind a flag: the engine asks before the step, the record pins the variant, and a
// resumed run (after approval, after a lost lease) keeps it when the flag moves.
const RULES = 'agent.risk_assessment.rules';
const rules = (variant: 'v1' | 'v2', extra: Record<string, unknown> = {}) => ({
  features: {
    flags: { [RULES]: { variants: { v1: 'v1', v2: 'v2' }, defaultVariant: variant }, ...extra },
  },
});
// v1 finds "new" inside "renewal" (one risk); v2 matches whole words only (none).
const data = { ...projectData, description: 'Contract renewal with the vendor', goals: ['Design'] };
const held = { governance_data: { financial_impact: 50000 } };

describe('WorkflowEngine: steps behind a flag', () => {
  let b: Booted;
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await b?.ref.close();
    jest.restoreAllMocks();
  });

  /** Approves and waits for the run the approval starts (on the broker, as on any replica). */
  const approveAndRun = async (id: string) => {
    const approved = await b.approvals.decide(id, bob, { decision: 'approve' });
    expect(approved.status).toBe('approved');
    for (let i = 0; i < 200; i++) {
      const r = await b.approvals.get(id);
      if (r.status === 'completed' || r.status === 'failed') return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`workflow ${id} did not finish`);
  };
  const risks = (r: { steps: { step: string; result: unknown }[] }) =>
    r.steps.find((s) => s.step === 'assess_risks')?.result as { rules?: string; total_risks: number };

  it('pins the variant when the workflow is created; approval after the flag moved runs the pinned one', async () => {
    b = await boot({ overrides: rules('v1'), importsFirst: [FlagsModule] });
    const { record } = await b.engine.submit(
      { workflow_type: 'project_initialization', data, ...held },
      { actor: alice.id },
    );
    expect(record).toMatchObject({ status: 'pending_approval', flag_variants: { [RULES]: 'v1' } });

    reconfigure(b.config, rules('v2'));
    const done = await approveAndRun(record.workflow_id);
    expect(done.status).toBe('completed');
    expect(done.flag_variants).toEqual({ [RULES]: 'v1' });
    expect(risks(done)).toMatchObject({ rules: 'v1', total_risks: 1 });

    // A workflow started after the move runs v2.
    const fresh = await b.engine.submit(
      { workflow_type: 'project_initialization', data, ...held },
      { actor: alice.id },
    );
    expect(fresh.record.flag_variants).toEqual({ [RULES]: 'v2' });
    const later = await approveAndRun(fresh.record.workflow_id);
    expect(risks(later)).toMatchObject({ rules: 'v2', total_risks: 0 });
  });

  it('a run taken over after a lost lease keeps the pinned variant', async () => {
    b = await boot({
      overrides: { ...rules('v2'), governance: { lease_seconds: 1 } },
      importsFirst: [FlagsModule],
    });
    await createOrphanedRun(b, {
      workflow_id: 'wf-pinned-orphan',
      data,
      lease_expires_at: WEDNESDAY.toISOString(),
      flag_variants: { [RULES]: 'v1' },
    });
    b.clock.at = new Date(WEDNESDAY.getTime() + 1500);
    await b.ref.get(WorkflowSweeper).sweep();
    const done = await b.approvals.get('wf-pinned-orphan');
    expect(done).toMatchObject({ status: 'completed', flag_variants: { [RULES]: 'v1' } });
    expect(risks(done)).toMatchObject({ rules: 'v1', total_risks: 1 });
  });

  it('a record with no pin (from before the step asked) gets one on its first claim', async () => {
    b = await boot({ overrides: rules('v2'), importsFirst: [FlagsModule] });
    const { record } = await b.engine.submit(
      { workflow_type: 'project_initialization', data, ...held },
      { actor: alice.id },
    );
    // As migration 7 leaves older rows: no variants.
    await b.store.updateWorkflow(record.workflow_id, record.version, { flag_variants: {} }, []);
    const done = await approveAndRun(record.workflow_id);
    expect(done.flag_variants).toEqual({ [RULES]: 'v2' });
    expect(risks(done)).toMatchObject({ rules: 'v2' });
  });

  it('without the flag defined, the step runs on its fallback and pins nothing', async () => {
    b = await boot({
      overrides: { governance: { policies: { default: { when_unassessed: 'run' } } } },
      importsFirst: [FlagsModule],
    });
    const { record } = await b.engine.submit(
      { workflow_type: 'project_initialization', data },
      { actor: 'a' },
    );
    expect(record).toMatchObject({ status: 'completed', flag_variants: {} });
    // The agent's output is as before the flag existed (no `rules` field).
    expect(risks(record)).toEqual(expect.not.objectContaining({ rules: expect.anything() }));
    expect(risks(record).total_risks).toBe(1);
  });

  it('refuses a type switched off (workflow.<type>.enabled) in submit, for every caller', async () => {
    b = await boot({
      overrides: rules('v1', {
        'workflow.project_initialization.enabled': {
          variants: { on: true, off: false },
          defaultVariant: 'off',
        },
      }),
      importsFirst: [FlagsModule],
    });
    await expect(
      b.engine.submit({ workflow_type: 'project_initialization', data }, { actor: 'a' }),
    ).rejects.toMatchObject({
      name: 'WorkflowDisabledError',
      code: 'WORKFLOW_DISABLED',
      message:
        'Workflow type project_initialization is turned off (flag workflow.project_initialization.enabled)',
    });
    expect((await b.store.listWorkflows({ limit: 10 })).items).toHaveLength(0);
  });
});
