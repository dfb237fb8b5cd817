import { z } from 'zod';
import { ConfigError, configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';
import { anchorWebhookProblem, isProduction } from './governance.anchor-url';
import { governancePolicySchema } from './governance.policy';
import { governanceReloadHolds } from './governance.reload-holds';

const { bool, int, num } = configValue;

export const agentSettingsSchema = z.looseObject({ enabled: bool(true) });

export const agentsSchema = z.record(z.string(), agentSettingsSchema).default({});

export const auditKeySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  // The key itself, or a secret:// reference.
  key: z.string().min(1),
});

/**
 * The keyed audit trail's settings (the chain that uses them is built with issue 25 item 4). The
 * key never goes into the database; it is required in production (checked at start).
 */
export const governanceAuditSchema = z
  .strictObject({
    // HMAC-SHA256 key of the audit chain (32+ characters); use a secret:// reference. Required when NODE_ENV=production.
    key: z.string().min(1).nullable().default(null),
    // The id recorded with each entry, naming `key` (change it when the key changes).
    key_id: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
      .default('k1'),
    // Keys rotated out, kept so older entries still verify: [{ id, key }].
    previous_keys: z.array(auditKeySchema).default([]),
    // The chain head (seq + link) is published (log line, metric, webhook) at least this often.
    anchor_interval_seconds: num(60, 1),
    // Optional URL the head is POSTed to, signed with a key derived from the audit key (https in production).
    anchor_webhook: z.url().nullable().default(null),
    // Hosts anchor_webhook may name (exact, or *.example.com). Empty: any host.
    anchor_allowed_hosts: z.array(z.string().min(1)).default([]),
  })
  .prefault({});

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
    // Review policies by workflow type; `default` covers every type without its own, and when it
    // is not listed the built-in default applies: { when_unassessed: hold, minimum_risk: low }.
    policies: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/), governancePolicySchema).default({}),
    audit: governanceAuditSchema,
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
    'policies.*.*': 'the workflow review policy (read when a workflow is assessed)',
    'policies.*.approvals_required.*': 'the workflow review policy (read when a workflow is held)',
  },
  // Governance guards work as authentication guards: whatever lets work through with less review
  // (a truncated write resets keys to their defaults too) waits for a restart; tightening is live.
  holdOnReload: governanceReloadHolds,
  // SSRF guard at load: a bad anchor webhook URL refuses the config (start or reload), not the post.
  // NODE_ENV from the loader's environment (a test's or the CLI's), not process.env.
  check: (config, { env }) => {
    const audit = (config.governance as z.output<typeof governanceSchema> | undefined)?.audit;
    if (!audit?.anchor_webhook) return;
    const problem = anchorWebhookProblem(audit.anchor_webhook, audit.anchor_allowed_hosts, isProduction(env));
    if (problem)
      throw new ConfigError(
        'CONFIG_INVALID',
        `Invalid configuration: governance.audit.anchor_webhook ${problem}`,
        'governance.audit.anchor_webhook',
      );
  },
  owner: 'libs/agents',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof agentsConfig | typeof governanceConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof agentsConfig | typeof governanceConfig> {}
}
