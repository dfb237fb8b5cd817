import { z } from 'zod';
import { configValue, defineConfigSection } from '@mira/config';
import type { ConfigSectionsInput, ConfigSectionsOutput } from '@mira/config';

const { bool, int } = configValue;

export const webhookServiceSchema = z.strictObject({
  secret: z.string().nullable().default(null),
  previous_secret: z.string().nullable().default(null),
  enabled: bool(true),
  // Timestamped schemes (X-Mira-Signature) reject deliveries older or newer than this.
  tolerance_seconds: int(300, 1, 86400),
  // After `secret` changes (reload or secret:// rotation) the replaced value stays valid this long.
  rotation_grace_seconds: int(3600, 0),
  // Delivery ids are remembered this long for replay detection.
  dedup_ttl_seconds: int(86400, 1),
  // The same signed bytes under a new delivery id are a replay this long (service + SHA-256 of the
  // body); 0 turns it off, for a provider that sends identical bodies as distinct deliveries.
  replay_window_seconds: int(86400, 0),
  // Trello signs body + callback URL exactly as registered; null rebuilds it from the request.
  callback_url: z.string().nullable().default(null),
});

export const webhooksSchema = z.record(z.string(), webhookServiceSchema).default({});

const hasSecret = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';

export const webhooksConfig = defineConfigSection({
  key: 'webhooks',
  schema: webhooksSchema,
  reload: {
    '*.*':
      'WebhooksService / WebhookSecretsService (per delivery; rotated secrets kept for the grace window)',
  },
  // A webhook secret removed or nulled (or its whole service removed) waits for a restart.
  holdOnReload: (running, desired) => {
    const out: { path: string; change: string }[] = [];
    const before = (running ?? {}) as Record<string, { secret?: unknown } | undefined>;
    const after = (desired ?? {}) as Record<string, { secret?: unknown } | undefined>;
    for (const [service, settings] of Object.entries(before)) {
      if (!hasSecret(settings?.secret)) continue;
      // A removed service is held whole: restoring only its secret would leave a half-defaulted entry.
      if (after[service] === undefined) out.push({ path: `webhooks.${service}`, change: 'removed' });
      else if (!hasSecret(after[service].secret))
        out.push({ path: `webhooks.${service}.secret`, change: 'removed' });
    }
    return out;
  },
  recordKeys: { '': '<service>' },
  owner: 'libs/webhooks',
});

declare module '@mira/config' {
  interface MiraConfig extends ConfigSectionsOutput<typeof webhooksConfig> {}
  interface MiraConfigInput extends ConfigSectionsInput<typeof webhooksConfig> {}
}
