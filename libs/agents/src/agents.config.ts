import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int, num } = configValue;

export const agentSettingsSchema = z.looseObject({ enabled: bool(true) });

export const agentsSchema = z.record(z.string(), agentSettingsSchema).default({});

export const governanceSchema = z
  .strictObject({
    financial_threshold: num(10000, 0),
    compliance_threshold: z.string().default('medium'),
    explainability_threshold: num(0.7, 0, 1),
    // Distinct approvals a held workflow needs, by its risk level.
    approvals_required: z
      .strictObject({ low: int(1, 1, 100), medium: int(1, 1, 100), high: int(1, 1, 100) })
      .prefault({}),
    // A workflow still pending after this long expires and never runs (three days).
    approval_ttl_seconds: int(259200, 1),
    // Separation of duties: a requester never approves their own workflow unless this is on.
    allow_self_approval: bool(false),
    // How long a replica's claim on running a workflow's steps holds without renewal; another
    // replica finishes a workflow whose claim ran out (its replica died).
    lease_seconds: num(60, 0.5),
    // How often each replica looks for expired approvals and abandoned runs.
    sweep_interval_seconds: num(30, 0.1),
  })
  .prefault({});

export const agentsConfig = defineConfigSection({
  key: 'agents',
  schema: agentsSchema,
  reload: { '*.enabled': 'AgentRegistry (read on every route)' },
  recordKeys: { '': '<agent_id>' },
  owner: 'libs/agents',
});

export const governanceConfig = defineConfigSection({
  key: 'governance',
  schema: governanceSchema,
  reload: {
    '*': 'GovernanceAgent (read on every assessment); WorkflowEngine, ApprovalService, WorkflowSweeper (read per use)',
    'approvals_required.*': 'WorkflowEngine (read when a workflow is held)',
  },
  // Governance guards work as authentication guards callers: fewer approvals or self-approval
  // (a line-truncated write resets them to defaults) never apply live.
  holdOnReload: (running, desired) => {
    const out: { path: string; change: string }[] = [];
    const quorumBefore = running?.approvals_required ?? {};
    const quorumAfter = desired?.approvals_required ?? {};
    for (const [risk, n] of Object.entries(quorumBefore))
      if ((quorumAfter as Record<string, number>)[risk] < n)
        out.push({ path: `governance.approvals_required.${risk}`, change: 'lowered' });
    if (running?.allow_self_approval !== true && desired?.allow_self_approval === true)
      out.push({ path: 'governance.allow_self_approval', change: 'false -> true' });
    return out;
  },
  owner: 'libs/agents',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof agentsConfig | typeof governanceConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof agentsConfig | typeof governanceConfig> {}
}
