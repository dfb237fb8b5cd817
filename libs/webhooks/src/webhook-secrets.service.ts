import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { RotatingKeySet } from './rotating-key-set';
import type { WebhookClock } from './webhook.interface';
import { DEFAULT_WEBHOOK_SETTINGS_KEY, WEBHOOK_CLOCK } from './webhooks.constants';

/**
 * The accepted signing keys of each webhook service: `webhooks.<service>.secret` (already
 * resolved from secret:// by the secrets module), `previous_secret` while it is configured, and a
 * secret replaced by a reload or a rotation for `rotation_grace_seconds` after the change.
 */
@Injectable()
export class WebhookSecretsService implements OnModuleDestroy {
  private readonly logger = new Logger('WebhookSecrets');
  private readonly rings = new Map<string, RotatingKeySet>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: ConfigStore,
    @Inject(WEBHOOK_CLOCK) private readonly clock: WebhookClock,
  ) {
    this.sync(false);
    this.unsubscribe = config.onChange(() => this.sync(true), 'webhooks');
  }

  /**
   * Keys to try, current first: the service's own, else those of `webhooks.default`; empty when
   * neither is set (every delivery is refused).
   */
  secrets(service: string): string[] {
    const own = this.rings.get(service)?.values() ?? [];
    if (own.length > 0 || service === DEFAULT_WEBHOOK_SETTINGS_KEY) return own;
    return this.rings.get(DEFAULT_WEBHOOK_SETTINGS_KEY)?.values() ?? [];
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  private sync(isReload: boolean): void {
    const webhooks = this.config.get('webhooks');
    const names = new Set([...Object.keys(webhooks), ...this.rings.keys()]);
    for (const name of names) {
      const settings = Object.hasOwn(webhooks, name) ? webhooks[name] : undefined;
      let ring = this.rings.get(name);
      if (!ring) {
        ring = new RotatingKeySet(() => this.clock.now());
        this.rings.set(name, ring);
      }
      const before = ring.configuredCount;
      ring.update(
        [settings?.secret, settings?.previous_secret],
        (settings?.rotation_grace_seconds ?? 0) * 1000,
      );
      if (isReload && before !== ring.configuredCount)
        this.logger.log(`Webhook keys of ${name} changed: ${ring.configuredCount} configured`);
    }
  }
}
