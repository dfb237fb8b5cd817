import { Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { STATE_STORE, type StateStore } from '@mira/state';
import { bootAgentsModule } from '../agents.testing';
import { Workflow } from './workflow.decorator';
import { WorkflowEngine } from './workflow.engine';
import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow.interface';
import { workflowSummary } from './workflow.view';

const steps: readonly WorkflowStepDefinition[] = [
  { step: 'generate_plan', input: ({ data }) => ({ name: String(data.name) }) },
];

/** A type without title or summary: records keep null. */
@Injectable()
@Workflow({ type: 'plain_steps' })
class PlainWorkflow implements WorkflowDefinition {
  readonly steps = steps;
}

/** A type whose description fails: the workflow still runs, described as null. */
@Injectable()
@Workflow({ type: 'broken_title' })
class BrokenTitleWorkflow implements WorkflowDefinition {
  readonly steps = steps;
  title(): string {
    throw new Error('no name');
  }
}

/** A type whose summary copies its data wholesale: the registry bounds it. */
@Injectable()
@Workflow({ type: 'greedy_summary' })
class GreedySummaryWorkflow implements WorkflowDefinition {
  readonly steps = steps;
  summary(data: Readonly<Record<string, unknown>>) {
    const fields: unknown[] = [
      { label: 'L'.repeat(500), value: String(data.name), unit: 'u'.repeat(300) },
      { label: 'Object', value: { nested: data } },
      { label: 'List', value: ['a', 'b'] },
      { label: 'NaN', value: Number.NaN },
      { label: 'Flag', value: true },
      ...Array.from({ length: 20 }, (_, i) => ({ label: `F${i}`, value: i })),
    ];
    return fields as never;
  }
}

@Module({ providers: [PlainWorkflow, BrokenTitleWorkflow, GreedySummaryWorkflow] })
class DescribedModule {}

const held = { financial_impact: 50000, compliance_level: 'high', explainability_score: 0.9 };

describe('workflow title and summary', () => {
  let ref: TestingModule;
  let engine: WorkflowEngine;
  let store: StateStore;

  beforeEach(async () => {
    ref = await bootAgentsModule({ clock: { now: () => new Date() }, imports: [DescribedModule] });
    engine = ref.get(WorkflowEngine);
    store = ref.get<StateStore>(STATE_STORE);
  });
  afterEach(() => ref.close());

  it('stores project_initialization: the project name as title; name, goals, duration, budget as summary', async () => {
    const { record } = await engine.submit(
      {
        workflow_type: 'project_initialization',
        data: {
          name: 'Apollo cutover',
          goals: ['a', 'b', 'c'],
          duration_weeks: 6,
          budget: 1250000,
          currency: 'eur',
        },
        governance_data: held,
      },
      { actor: 'alice' },
    );
    const stored = await store.getWorkflow(record.workflow_id);
    expect(stored?.title).toBe('Apollo cutover');
    expect(stored?.summary).toEqual([
      { label: 'Project', value: 'Apollo cutover' },
      { label: 'Goals', value: 3 },
      { label: 'Duration', value: 6, unit: 'weeks' },
      { label: 'Budget', value: 1250000, unit: 'EUR' },
    ]);
    const listed = workflowSummary(stored!);
    expect(listed).toMatchObject({ title: 'Apollo cutover', summary: stored?.summary });
  });

  it('leaves the budget out when none is given and names an unnamed project as generate_plan does', async () => {
    const { record } = await engine.submit(
      { workflow_type: 'project_initialization', data: {}, governance_data: held },
      { actor: 'alice' },
    );
    expect(record.title).toBe('Unnamed Project');
    expect(record.summary?.map((f) => f.label)).toEqual(['Project', 'Goals', 'Duration']);
  });

  it('keeps null for a type that gives no description, and for one whose description throws', async () => {
    // A low assessment: unassessed work is held by default (governance.policies).
    const plain = await engine.submit(
      { workflow_type: 'plain_steps', data: { name: 'x' }, governance_data: { financial_impact: 0 } },
      { actor: 'a' },
    );
    expect(plain.record).toMatchObject({ title: null, summary: null, status: 'completed' });
    const broken = await engine.submit(
      { workflow_type: 'broken_title', data: { name: 'x' }, governance_data: { financial_impact: 0 } },
      { actor: 'a' },
    );
    expect(broken.record).toMatchObject({ title: null, summary: null, status: 'completed' });
  });

  it('bounds a summary: 200 characters a label/value/unit, string/number/boolean values, 12 fields', async () => {
    const { record } = await engine.submit(
      { workflow_type: 'greedy_summary', data: { name: 'n'.repeat(5000) } },
      { actor: 'a' },
    );
    const summary = record.summary!;
    expect(summary).toHaveLength(12);
    expect(summary[0]).toEqual({ label: 'L'.repeat(200), value: 'n'.repeat(200), unit: 'u'.repeat(200) });
    expect(summary[1]).toEqual({ label: 'Flag', value: true });
    expect(summary.map((f) => f.label)).not.toEqual(expect.arrayContaining(['Object', 'List', 'NaN']));
    expect(summary.at(-1)).toEqual({ label: 'F9', value: 9 });
  });
});
