import { createHash } from 'node:crypto';
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
import { rejectPoisoned, safeJsonParse } from './webhook.json';
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
  | { kind: 'duplicate'; service: string; deliveryId: string | null; by: 'delivery_id' | 'body' }
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

    const parsed = parsePayload(incoming.rawBody, incoming.contentType, this.options.parseJson);
    if (!parsed.ok) return { kind: 'bad_payload', message: parsed.message };
    // Webhook bodies skip the JSON body parser (signatures need the raw bytes): the edge's limits here.
    const tooBig = this.options.payloadLimit?.(parsed.payload) ?? null;
    if (tooBig !== null) return { kind: 'bad_payload', message: tooBig };
    const payload = parsed.payload;
    const deliveryId = safe(() => registered.verifier.deliveryId(delivery, payload));
    const event = safe(() => registered.verifier.eventType?.(delivery, payload) ?? null);

    const required = registered.verifier.deliveryIdHeader;
    if (required && !deliveryId)
      return {
        kind: 'bad_payload',
        message: `Missing webhook delivery id header ${required}: ${incoming.service} always sends it, and a delivery without it cannot be told from a replay`,
      };

    const dedupKey = deliveryId ? `${incoming.service}:${deliveryId}` : null;
    const ttlMs = settings.dedup_ttl_seconds * 1000;
    // A replay of a captured delivery under a new (unsigned) delivery id: the signed bytes are the
    // same, so service + body digest is remembered too. '#' never occurs in a service name, so
    // this key cannot equal any `<service>:<delivery id>` key.
    const bodyKey =
      settings.replay_window_seconds > 0
        ? `${incoming.service}#sha256:${createHash('sha256').update(incoming.rawBody).digest('hex')}`
        : null;
    const bodyTtlMs = settings.replay_window_seconds * 1000;
    // Claimed for a short while first, extended once published: if the publish and the release
    // both fail (Redis gone mid-request), the claim lapses soon and the provider's retry gets in.
    if (dedupKey && !(await this.dedup.claim(dedupKey, Math.min(ttlMs, IN_PROGRESS_CLAIM_MS)))) {
      this.logger.log(`Duplicate ${incoming.service} delivery ${deliveryId} ignored`);
      return { kind: 'duplicate', service: incoming.service, deliveryId, by: 'delivery_id' };
    }
    if (bodyKey && !(await this.dedup.claim(bodyKey, Math.min(bodyTtlMs, IN_PROGRESS_CLAIM_MS)))) {
      // The new id is not remembered: only the body's first delivery counts.
      if (dedupKey) await this.dedup.release(dedupKey).catch(() => undefined);
      this.logger.warn(
        `Replayed ${incoming.service} body ignored (same bytes as an earlier delivery within webhooks.${incoming.service}.replay_window_seconds, new delivery id ${deliveryId ?? 'none'})`,
      );
      return { kind: 'duplicate', service: incoming.service, deliveryId, by: 'body' };
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
      for (const [key, ttl] of [
        [dedupKey, ttlMs],
        [bodyKey, bodyTtlMs],
      ] as const) {
        if (!key || ttl <= IN_PROGRESS_CLAIM_MS) continue;
        await this.dedup
          .extend(key, ttl)
          .catch((err: unknown) =>
            this.logger.warn(
              `Could not extend the de-duplication claim of ${incoming.service} delivery ${deliveryId ?? '(no id)'}: ${(err as Error).message}`,
            ),
          );
      }
      return { kind: 'accepted', service: incoming.service, deliveryId, messageId };
    } catch (err) {
      // Not handed over: let the provider's retry through instead of calling it a duplicate. If
      // the release fails too, the short in-progress claim lapses on its own.
      for (const key of [dedupKey, bodyKey]) if (key) await this.dedup.release(key).catch(() => undefined);
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
  parseJson: (text: string) => unknown = safeJsonParse,
): { ok: true; payload: unknown } | { ok: false; message: string } {
  if (raw.length === 0) return { ok: true, payload: null };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const text = raw.toString('utf8');
  try {
    if (type === 'application/json' || type.endsWith('+json')) return { ok: true, payload: parseJson(text) };
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(text);
      const embedded = form.get('payload');
      if (embedded !== null) return { ok: true, payload: parseJson(embedded) };
      const fields = Object.fromEntries(form);
      rejectPoisoned(fields);
      return { ok: true, payload: fields };
    }
  } catch {
    return {
      ok: false,
      message:
        'The webhook body is not valid JSON (or has a forbidden __proto__ / constructor.prototype key)',
    };
  }
  return { ok: true, payload: text };
}
