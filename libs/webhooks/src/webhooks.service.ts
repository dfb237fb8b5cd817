import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigStore, validateConfig } from '@mira/config';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import type {
  DeliveryDeduplicator,
  WebhookDelivery,
  WebhookEvent,
  WebhookRejection,
  WebhookClock,
  WebhookServiceSettings,
  WebhooksModuleOptions,
} from './webhook.interface';
import { WebhookRegistry } from './webhook.registry';
import { WebhookSecretsService } from './webhook-secrets.service';
import { WEBHOOK_CLOCK, WEBHOOK_DEDUPLICATOR, WEBHOOK_EVENT_PREFIX } from './webhooks.constants';
import { WEBHOOKS_MODULE_OPTIONS } from './webhooks.module-definition';

/** How long a delivery id is held while its event is being published (then extended). */
const IN_PROGRESS_CLAIM_MS = 60_000;

export interface IncomingWebhook {
  service: string;
  rawBody: Buffer;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  url: string;
  contentType: string | null;
}

export type WebhookOutcome =
  | { kind: 'accepted'; service: string; deliveryId: string | null; messageId: string }
  | { kind: 'duplicate'; service: string; deliveryId: string }
  | { kind: 'unknown_service' }
  | { kind: 'rejected'; rejection: WebhookRejection | { reason: 'no_secret'; header: null } }
  | { kind: 'bad_payload'; message: string };

// Settings of a service with no `webhooks.<service>` entry: the schema's defaults.
const DEFAULT_SETTINGS: WebhookServiceSettings = validateConfig({ webhooks: { _: {} } }).webhooks._;

/**
 * Verify first, then parse, de-duplicate and publish: nothing about an unauthenticated body is
 * looked at beyond its bytes and headers.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly registry: WebhookRegistry,
    private readonly secrets: WebhookSecretsService,
    private readonly config: ConfigStore,
    @Inject(WEBHOOK_CLOCK) private readonly clock: WebhookClock,
    @Inject(WEBHOOK_DEDUPLICATOR) private readonly dedup: DeliveryDeduplicator,
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    @Inject(WEBHOOKS_MODULE_OPTIONS) private readonly options: WebhooksModuleOptions,
  ) {}

  isKnown(service: string): boolean {
    return this.registry.get(service) !== undefined;
  }

  async receive(incoming: IncomingWebhook): Promise<WebhookOutcome> {
    const registered = this.registry.get(incoming.service);
    if (!registered) return { kind: 'unknown_service' };
    const webhooks = this.config.get('webhooks');
    const settings = Object.hasOwn(webhooks, incoming.service)
      ? webhooks[incoming.service]
      : DEFAULT_SETTINGS;
    const delivery: WebhookDelivery = {
      service: incoming.service,
      rawBody: incoming.rawBody,
      headers: incoming.headers,
      url: incoming.url,
      receivedAt: this.clock.now(),
      settings,
    };

    const keys = this.secrets.secrets(incoming.service);
    if (keys.length === 0) return this.reject(incoming.service, { reason: 'no_secret', header: null });
    let rejection: WebhookRejection | null;
    try {
      rejection = registered.verifier.verify(delivery, keys);
    } catch (err) {
      // A verifier bug must read as "not verified", never as a 500 that hints at internals.
      this.logger.error(`Verifier of ${incoming.service} threw: ${(err as Error).message}`);
      rejection = { reason: 'invalid_signature', header: 'unknown' };
    }
    if (rejection) return this.reject(incoming.service, rejection);

    const parsed = parsePayload(incoming.rawBody, incoming.contentType);
    if (!parsed.ok) return { kind: 'bad_payload', message: parsed.message };
    // Webhook bodies skip the JSON body parser (signatures need the raw bytes): the edge's limits here.
    const tooBig = this.options.payloadLimit?.(parsed.payload) ?? null;
    if (tooBig !== null) return { kind: 'bad_payload', message: tooBig };
    const payload = parsed.payload;
    const deliveryId = safe(() => registered.verifier.deliveryId(delivery, payload));
    const event = safe(() => registered.verifier.eventType?.(delivery, payload) ?? null);

    const dedupKey = deliveryId ? `${incoming.service}:${deliveryId}` : null;
    const ttlMs = settings.dedup_ttl_seconds * 1000;
    // Claimed for a short while first, extended once published: if the publish and the release
    // both fail (Redis gone mid-request), the claim lapses soon and the provider's retry gets in.
    if (dedupKey && !(await this.dedup.claim(dedupKey, Math.min(ttlMs, IN_PROGRESS_CLAIM_MS)))) {
      this.logger.log(`Duplicate ${incoming.service} delivery ${deliveryId} ignored`);
      return { kind: 'duplicate', service: incoming.service, deliveryId: deliveryId! };
    }
    const message: WebhookEvent = {
      service: incoming.service,
      delivery_id: deliveryId,
      event,
      received_at: new Date(delivery.receivedAt).toISOString(),
      content_type: incoming.contentType,
      payload,
    };
    try {
      // Keyed by the delivery: if Redis stores it but the answer is lost, the provider's retry
      // (let through below) finds the first entry instead of publishing the delivery twice.
      const messageId = await this.broker.publish(
        `${WEBHOOK_EVENT_PREFIX}${incoming.service}`,
        message,
        undefined,
        dedupKey ? { idempotencyKey: `webhook:${dedupKey}`, idempotencyTtlMs: ttlMs } : undefined,
      );
      if (dedupKey && ttlMs > IN_PROGRESS_CLAIM_MS) {
        await this.dedup
          .extend(dedupKey, ttlMs)
          .catch((err: unknown) =>
            this.logger.warn(
              `Could not extend the de-duplication claim of ${incoming.service} delivery ${deliveryId}: ${(err as Error).message}`,
            ),
          );
      }
      return { kind: 'accepted', service: incoming.service, deliveryId, messageId };
    } catch (err) {
      // Not handed over: let the provider's retry through instead of calling it a duplicate. If
      // the release fails too, the short in-progress claim lapses on its own.
      if (dedupKey) await this.dedup.release(dedupKey).catch(() => undefined);
      throw err;
    }
  }

  private reject(
    service: string,
    rejection: WebhookRejection | { reason: 'no_secret'; header: null },
  ): WebhookOutcome {
    this.logger.warn(
      `Refused ${service} delivery: ${rejection.reason}${rejection.header ? ` (${rejection.header})` : ''}`,
    );
    return { kind: 'rejected', rejection };
  }
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** JSON bodies as JSON, GitHub-style form bodies (`payload=<json>`) as that JSON, anything else as text. */
export function parsePayload(
  raw: Buffer,
  contentType: string | null,
): { ok: true; payload: unknown } | { ok: false; message: string } {
  if (raw.length === 0) return { ok: true, payload: null };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = raw.toString('utf8');
  try {
    if (type === 'application/json' || type.endsWith('+json')) return { ok: true, payload: JSON.parse(text) };
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(text);
      const embedded = form.get('payload');
      return { ok: true, payload: embedded !== null ? JSON.parse(embedded) : Object.fromEntries(form) };
    }
  } catch {
    return { ok: false, message: 'The webhook body is not valid JSON' };
  }
  return { ok: true, payload: text };
}
