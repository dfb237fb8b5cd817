import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Names the HTTP server span after its route template (`POST /api/v1/workflows/:id/approve`)
 * and sets `http.route`: the HTTP instrumentation sees only the raw URL, which must never be a
 * span name (unbounded). Only Fastify knows the matched route.
 */
@Injectable()
export class HttpRouteHooks {
  constructor(adapterHost: HttpAdapterHost) {
    const fastify = adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      const span = trace.getActiveSpan();
      const route = req.routeOptions?.url;
      if (span?.isRecording() && route) {
        span.setAttribute('http.route', route);
        span.updateName(`${req.method} ${route}`);
      }
      done();
    });
  }
}
