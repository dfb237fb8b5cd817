import { DiscoveryService } from '@nestjs/core';
import type { NormalisedTask, StatusMap } from '../task.interface';
import type { TrackerHttpClient } from './tracker-http.client';

/** One source of a project as configured: `{ github: { repo } }` gives kind 'github', settings `{ repo }`. */
export interface ProjectSource {
  kind: string;
  settings: Record<string, unknown>;
}

/** What a connector keeps between syncs of one source (ETag, last `updated`, ...); stored as JSON. */
export type SyncCursor = Record<string, unknown>;

export interface SyncContext {
  source: ProjectSource;
  statusMap: StatusMap;
  /** null for a full sync. */
  cursor: SyncCursor | null;
  /** The client of this connector: retries, breaker, rate limits, timeouts. */
  http: TrackerHttpClient;
  /** `integrations.<kind>` with secret:// references resolved. Never log it. */
  credentials: Record<string, unknown>;
}

export interface SyncOutcome {
  /** Tasks new or changed since the cursor (all of them on a full sync). */
  upserts: NormalisedTask[];
  /** external ids gone from the tracker (deleted), when the tracker says so. */
  deletions: string[];
  cursor: SyncCursor;
}

/** A webhook delivery mapped onto tasks. */
export interface WebhookChange {
  /** Which sources of which projects it concerns: matched against ProjectSource settings. */
  matches(source: ProjectSource): boolean;
  /** The task as it now is, with that source's status map; absent for a deletion. */
  task?(source: ProjectSource, statusMap: StatusMap): NormalisedTask;
  deleteId?: string;
}

/**
 * A tracker connector. Mark the provider with @Connector({ kind }) in its own module; the
 * projects lib finds it with DiscoveryService, so a plugin can add GitLab or Linear.
 */
export interface TrackerConnector {
  /** Source id of a configured source within a project, e.g. `github:acme/api`. */
  sourceId(source: ProjectSource): string;
  /** Refuses a source whose settings are wrong (names the key). */
  validate(settings: Record<string, unknown>): string | null;
  /** Reads `x-ratelimit-*` / `retry-after` the way this tracker writes them. */
  readonly rateLimit: import('./tracker-http.client').TrackerHttpOptions['readRateLimit'];
  sync(ctx: SyncContext): Promise<SyncOutcome>;
  /** The broker event `webhook.<service>` this connector listens to, and how a delivery maps. */
  readonly webhookService: string;
  fromWebhook(event: string | null, payload: unknown): WebhookChange | null;
}

export interface ConnectorOptions {
  kind: string;
}

export const Connector = DiscoveryService.createDecorator<ConnectorOptions>();
