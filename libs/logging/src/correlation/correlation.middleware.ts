import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { CORRELATION_HEADER } from '../logging.constants';
import { correlationIdForRequest } from './correlation-id';
import { enterRequestScope } from './correlation.context';

/**
 * Opens the request's CLS scope with its correlation id and echoes the id in the response
 * header (set on the raw response before any status is chosen, so 4xx/5xx carry it too).
 * Synchronous and allocation-light: it runs on every request.
 */
@Injectable()
export class CorrelationMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const id = correlationIdForRequest(req);
    res.setHeader(CORRELATION_HEADER, id);
    enterRequestScope(id, next);
  }
}
