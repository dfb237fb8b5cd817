import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { BoundedLabel } from './registry/bounded-label';
import { refusalReason } from './http-refusals';
import {
  KNOWN_STATUS_CODES,
  METRIC_NAMES,
  METRICS_ROUTE,
  OTHER_LABEL,
  REFUSAL_REASONS,
  UNMATCHED_ROUTE,
  type RefusalReason,
} from './metrics.constants';
import { MetricsService } from './registry/metrics.service';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CODES = new Set<number>(KNOWN_STATUS_CODES);
type Labels = 'method' | 'route' | 'status_code';

/**
 * Times every HTTP request, called from a Fastify onResponse hook the app's HTTP edge registers
 * (so 404s, validation failures and errors are counted too), labelled by the route TEMPLATE (`/api/v1/agents/:id`), never the raw
 * URL, and by the numeric status (bounded), so 401, 422 and 429 can be told apart. Refusals are
 * counted by reason from the same hook. Until init (or with `httpMetrics: false`, or outside a
 * Fastify app) `record` does nothing.
 */
@Injectable()
export class HttpMetricsRecorder implements OnModuleInit {
  private histogram: Histogram<Labels> | null = null;
  private refusals: Counter<'reason'> | null = null;
  // Children cached per label combination: observe() on a child skips prom-client's label hashing.
  private readonly children = new Map<string, { observe(v: number): void }>();
  private readonly methods = new BoundedLabel(0, METHODS);

  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (this.metrics.options?.httpMetrics === false) return;
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return; // not a Fastify app (e.g. a bare test module)
    this.histogram = this.metrics.histogram<Labels>({
      name: METRIC_NAMES.httpRequestDuration,
      help: 'HTTP request duration in seconds, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: this.metrics.options?.httpBuckets ?? DEFAULT_BUCKETS,
    });
    this.refusals = this.metrics.counter<'reason'>({
      name: METRIC_NAMES.httpRefusals,
      help: 'Requests refused, by reason (rate limit, credentials, body, queue, webhook verification)',
      labelNames: ['reason'],
    });
    // Every reason exported from the start: a rate() over a series that appears late misses its first hit.
    for (const reason of REFUSAL_REASONS) this.refusals.inc({ reason }, 0);
  }

  /** One answered request (from an onResponse hook). */
  record(req: FastifyRequest, reply: FastifyReply): void {
    if (this.histogram === null) return;
    const reason: RefusalReason | null = refusalReason(reply, req.method);
    if (reason) this.refusals!.inc({ reason });
    // Route templates are bounded by the code; requests no route matched share one label value.
    const route = req.routeOptions?.url ?? UNMATCHED_ROUTE;
    // Scraping /metrics would otherwise make every scrape show up in what it measures.
    if (route === METRICS_ROUTE) return;
    const method = this.methods.value(req.method);
    const statusCode = STATUS_CODES.has(reply.statusCode) ? String(reply.statusCode) : OTHER_LABEL;
    const key = `${method} ${route} ${statusCode}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.histogram!.labels({ method, route, status_code: statusCode });
      this.children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
  }
}
