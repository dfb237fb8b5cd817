import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';
import { BoundedLabel } from './bounded-label';
import { METRIC_NAMES, UNMATCHED_ROUTE } from './metrics.constants';
import { MetricsService } from './metrics.service';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
type Labels = 'method' | 'route' | 'status_class';

/**
 * Times every HTTP request from a Fastify onResponse hook (so 404s, validation failures and
 * errors are counted too), labelled by the route TEMPLATE (`/api/v1/agents/:id`), never the raw URL.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  private histogram: Histogram<Labels> | null = null;
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
      help: 'HTTP request duration in seconds, by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: this.metrics.options?.httpBuckets ?? DEFAULT_BUCKETS,
    });
    fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      this.observe(req, reply);
      done();
    });
  }

  private observe(req: FastifyRequest, reply: FastifyReply): void {
    // Route templates are bounded by the code; requests no route matched share one label value.
    const route = req.routeOptions?.url ?? UNMATCHED_ROUTE;
    const method = this.methods.value(req.method);
    const statusClass = `${Math.floor(reply.statusCode / 100)}xx`;
    const key = `${method} ${route} ${statusClass}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.histogram!.labels({ method, route, status_class: statusClass });
      this.children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
  }
}
