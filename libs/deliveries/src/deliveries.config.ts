import { z } from 'zod';
import { ConfigError, configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';
import { HostGuard } from './delivery.host-guard';
import { DeliveriesError } from './deliveries.error';

const { bool, int } = configValue;

export const destinationSchema = z.strictObject({
  // A string, not an enum: a module may contribute another kind (@DeliveryKindProvider).
  kind: z.string().min(1),
  // webhook, slack: where to POST; a secret:// reference when the URL is the credential (a Slack
  // incoming webhook), which then needs its host in deliveries.allowed_hosts.
  url: z.string().min(1).nullable().default(null),
  // webhook: a Standard Webhooks secret (whsec_...) or a secret:// reference; never logged.
  secret: z.string().min(1).nullable().default(null),
  // email: recipients.
  to: z.array(z.string().email()).default([]),
});

export const deliveriesSchema = z
  .strictObject({
    // Attempts before a delivery is `dead` (an admin can retry it: POST /api/v1/deliveries/:id/retry).
    max_attempts: int(8, 1, 100),
    // Exponential backoff with jitter between attempts.
    backoff_initial_ms: int(1000, 10),
    backoff_max_ms: int(300_000, 10),
    // One HTTP or SMTP attempt.
    timeout_ms: int(10_000, 100),
    // How often each replica looks for due deliveries.
    poll_interval_ms: int(1000, 50),
    // Rows claimed per poll.
    batch_size: int(20, 1, 1000),
    // A claimed row not finished within this long (its replica died) is sent again.
    lease_ms: int(60_000, 1000),
    // Hosts deliveries may reach (exact, or *.example.com). Empty: only the hosts of the destinations below.
    allowed_hosts: z.array(z.string().min(1)).default([]),
    smtp: z
      .strictObject({
        host: z.string().min(1).nullable().default(null),
        port: int(587, 1, 65535),
        // true: TLS from the start (port 465); false: STARTTLS when offered.
        secure: bool(false),
        // May be secret:// references; never logged.
        user: z.string().min(1).nullable().default(null),
        password: z.string().min(1).nullable().default(null),
        from: z.string().min(1).default('Mira <mira@localhost>'),
      })
      .prefault({}),
    destinations: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), destinationSchema).default({}),
    // Per workflow type: which outcomes are sent where (workflow.* / governance.pending_approval events).
    workflows: z
      .record(
        z.string().min(1),
        z.strictObject({
          on: z.array(z.enum(['completed', 'failed', 'pending_approval'])).min(1),
          destinations: z.array(z.string().min(1)).min(1),
        }),
      )
      .default({}),
  })
  .prefault({});

export type DeliveriesSettings = z.output<typeof deliveriesSchema>;
export type DestinationSettings = z.output<typeof destinationSchema>;

export const deliveriesConfig = defineConfigSection({
  key: 'deliveries',
  schema: deliveriesSchema,
  reload: {
    max_attempts: 'DeliveryOutbox (next attempt)',
    backoff_initial_ms: 'DeliveryOutbox (next attempt)',
    backoff_max_ms: 'DeliveryOutbox (next attempt)',
    timeout_ms: 'DeliveryKinds (next attempt)',
    'destinations.*': 'DeliveriesService (next delivery)',
    'workflows.*': 'WorkflowNotifications (next event)',
    allowed_hosts: 'DeliveriesService (next delivery)',
  },
  // SSRF guard at load: a destination outside the allow-list refuses the config (start or reload).
  check: (config) => {
    const d = config.deliveries as DeliveriesSettings | undefined;
    if (!d) return;
    try {
      HostGuard.validate(d.allowed_hosts, d.destinations);
    } catch (err) {
      if (!(err instanceof DeliveriesError)) throw err;
      throw new ConfigError(
        'CONFIG_INVALID',
        `Invalid configuration: ${err.message}`,
        'deliveries.destinations',
      );
    }
    for (const [type, rule] of Object.entries(d.workflows))
      for (const name of rule.destinations)
        if (!d.destinations[name])
          throw new ConfigError(
            'CONFIG_INVALID',
            `Invalid configuration: deliveries.workflows.${type}.destinations names ${name}, which is not under deliveries.destinations`,
            `deliveries.workflows.${type}.destinations`,
          );
    for (const [name, dest] of Object.entries(d.destinations)) {
      const where = `deliveries.destinations.${name}`;
      if ((dest.kind === 'webhook' || dest.kind === 'slack') && !dest.url)
        throw new ConfigError(
          'CONFIG_INVALID',
          `Invalid configuration: ${where}.url is required for kind ${dest.kind}`,
          `${where}.url`,
        );
      if (dest.kind === 'email' && dest.to.length === 0)
        throw new ConfigError(
          'CONFIG_INVALID',
          `Invalid configuration: ${where}.to needs at least one address`,
          `${where}.to`,
        );
      if (dest.kind === 'email' && !d.smtp.host)
        throw new ConfigError(
          'CONFIG_INVALID',
          `Invalid configuration: ${where} is an email destination but deliveries.smtp.host is not set`,
          'deliveries.smtp.host',
        );
    }
  },
  recordKeys: { destinations: '<name>', workflows: '<workflow_type>' },
  owner: 'libs/deliveries',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof deliveriesConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof deliveriesConfig> {}
}
