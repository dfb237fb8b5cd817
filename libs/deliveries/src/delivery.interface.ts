import type { DeliveriesSettings, DestinationSettings } from './deliveries.config';
import type { HostGuard } from './delivery.host-guard';

/** What a delivery carries: the same content for every kind; each kind formats it its own way. */
export interface DeliveryMessage {
  /** The delivery id: the Standard Webhooks `webhook-id`, identical on every attempt. */
  id: string;
  /** e.g. `schedule.run.completed`, `workflow.completed`, `governance.pending_approval`, `event.answered`. */
  type: string;
  /** A short human title (`Weekly report: Apollo`). */
  title: string;
  /** When the result was produced (ISO-8601). */
  occurred_at: string;
  /** The result itself (a report, a workflow view, an agent envelope). */
  data: unknown;
}

export interface DeliveryTarget extends DestinationSettings {
  /** The destination's config name (deliveries.destinations.<name>). */
  name: string;
}

export interface DeliverySendContext {
  timeoutMs: number;
  guard: HostGuard;
  /** The current deliveries section (smtp settings for email, or a module's own needs). */
  settings: DeliveriesSettings;
}

/** One delivery kind (webhook, slack, email, or a module's own): sends one attempt or throws DeliveriesError. */
export interface DeliveryKind {
  send(target: DeliveryTarget, message: DeliveryMessage, ctx: DeliverySendContext): Promise<void>;
}

export interface DeliveryKindOptions {
  kind: string;
}
