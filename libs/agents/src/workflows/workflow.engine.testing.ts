import { Injectable, Module, type Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { ConfigStore, loadConfig } from '@mira/config';
import { dataHash, STATE_STORE, type StateStore } from '@mira/state';
import { bootAgentsModule } from '../agents.testing';
import { ApprovalService } from './approval.service';
import { Workflow } from './workflow.decorator';
import { WorkflowEngine } from './workflow.engine';
import type { Actor, WorkflowDefinition, WorkflowStepDefinition } from './workflow.interface';

// Shared by the engine, governance and approval specs (spec helper, not exported from index.ts).

export const WEDNESDAY = new Date('2026-11-18T09:00:00.000Z');

/** A workflow declared only here, in a module of the test: the engine finds it by discovery. */
@Injectable()
@Workflow({ type: 'echo_twice' })
class EchoTwiceWorkflow implements WorkflowDefinition {
  readonly steps: readonly WorkflowStepDefinition[] = [
    { step: 'generate_plan', input: ({ data }) => ({ name: String(data.name), goals: ['One'] }) },
    {
      step: 'update_plan',
      input: ({ results }) => ({ plan: results.generate_plan, updates: { echoed: true } }),
    },
  ];
}

@Module({ providers: [EchoTwiceWorkflow] })
export class EchoTwiceModule {}

export interface Booted {
  ref: TestingModule;
  engine: WorkflowEngine;
  approvals: ApprovalService;
  broker: MessageBroker;
  config: ConfigStore;
  store: StateStore;
  clock: { now: () => Date; at: Date };
}

export async function boot(
  options: { overrides?: Record<string, unknown>; imports?: Type[]; importsFirst?: Type[] } = {},
): Promise<Booted> {
  const clock = { at: new Date(WEDNESDAY), now: () => new Date(clock.at) };
  const ref = await bootAgentsModule({ clock: clock, ...options });
  return {
    ref,
    engine: ref.get(WorkflowEngine),
    approvals: ref.get(ApprovalService),
    broker: ref.get<MessageBroker>(MESSAGE_BROKER),
    config: ref.get(ConfigStore),
    store: ref.get<StateStore>(STATE_STORE),
    clock,
  };
}

export function reconfigure(config: ConfigStore, overrides: Record<string, unknown>): void {
  config.replace(
    loadConfig({ file: null, env: {}, overrides: { state: { sqlite: { path: ':memory:' } }, ...overrides } }),
  );
}

/** Unassessed work runs (the policy an operator sets for types that need no review). */
export const RUN_UNASSESSED = { governance: { policies: { default: { when_unassessed: 'run' } } } };

export const projectData = {
  name: 'Apollo',
  description: 'An urgent new platform',
  goals: ['Design', 'Build'],
  duration_weeks: 4,
};
export const alice: Actor = { id: 'key:alice', name: 'alice', roles: ['submitter'] };
export const bob: Actor = { id: 'key:bob', name: 'bob', roles: ['approver'] };
export const carol: Actor = { id: 'key:carol', name: 'carol', roles: ['approver'] };

/**
 * Creates a `running` record as a replica that died mid-run leaves it: no steps done, its lease
 * held by `a-dead-replica` until `lease_expires_at`, for the sweeper to take over.
 */
export async function createOrphanedRun(
  b: Booted,
  run: {
    workflow_id: string;
    data: Record<string, unknown>;
    lease_expires_at: string;
    flag_variants?: Record<string, string>;
  },
): Promise<void> {
  const { workflow_id, data, lease_expires_at, flag_variants } = run;
  await b.store.createWorkflow(
    {
      workflow_id,
      workflow_type: 'project_initialization',
      status: 'running',
      requested_by: 'key:a',
      requested_by_name: 'a',
      created_at: WEDNESDAY.toISOString(),
      data,
      data_hash: dataHash(data),
      policy: null,
      governance: null,
      risk_level: 'low',
      reasons: [],
      approvals_required: 0,
      decisions: [],
      expires_at: null,
      steps: [],
      lease_owner: 'a-dead-replica',
      lease_expires_at,
      idempotency_key: null,
      request_hash: null,
      ...(flag_variants ? { flag_variants } : {}),
    },
    [],
  );
}
