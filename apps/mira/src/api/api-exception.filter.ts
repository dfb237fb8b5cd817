import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowError, type WorkflowErrorCode } from '@mira/agents';
import { BrokerError } from '@mira/broker';
import { markRefusal } from '@mira/metrics';
import { StateError } from '@mira/state';
import { bodyTooLarge } from '../security/json-position';
import { isOfrepRoute, ofrepParseFailure } from './ofrep.errors';

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code?: string;
  /** For a conflict on a workflow: the status it is in now. */
  status?: string;
}

const BROKER_STATUS: Record<string, number> = {
  BROKER_QUEUE_FULL: HttpStatus.SERVICE_UNAVAILABLE,
  BROKER_STOPPED: HttpStatus.SERVICE_UNAVAILABLE,
  BROKER_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  BROKER_PUBLISH_UNCONFIRMED: HttpStatus.SERVICE_UNAVAILABLE,
  BROKER_INVALID_MESSAGE: HttpStatus.BAD_REQUEST,
};

const WORKFLOW_STATUS: Record<WorkflowErrorCode, number> = {
  WORKFLOW_UNKNOWN_TYPE: HttpStatus.UNPROCESSABLE_ENTITY,
  WORKFLOW_DISABLED: HttpStatus.NOT_FOUND,
  WORKFLOW_INVALID_INPUT: HttpStatus.BAD_REQUEST,
  WORKFLOW_NOT_FOUND: HttpStatus.NOT_FOUND,
  WORKFLOW_CONFLICT: HttpStatus.CONFLICT,
  WORKFLOW_ALREADY_EXISTS: HttpStatus.CONFLICT,
  WORKFLOW_FORBIDDEN: HttpStatus.FORBIDDEN,
  WORKFLOW_IDEMPOTENCY_MISMATCH: HttpStatus.UNPROCESSABLE_ENTITY,
  WORKFLOW_DEFINITION_INVALID: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * One error shape for every failure. Client errors keep their message; anything unexpected is
 * a 500 with a generic message (details go to the log, never to the client).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  /** `bodyLimitBytes`: `server.body_limit_bytes`, named in the 413 (Fastify's own text has no number). */
  constructor(private readonly edge: { bodyLimitBytes?: number } = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const url = host.switchToHttp().getRequest<FastifyRequest>()?.url;
    const ofrep = ofrepParseFailure(url, exception);
    if (ofrep) {
      void reply.status(ofrep.status).send(ofrep.body);
      return;
    }
    const body: ApiErrorBody & { errorDetails?: string } = this.toBody(exception);
    // OFREP's generalErrorResponse is `{errorDetails}`: OFREP providers read that field on a 5xx.
    if (body.statusCode >= 500 && isOfrepRoute(url)) body.errorDetails = String(body.message);
    if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) reply.header('retry-after', '1');
    // A 503's reason is only in its code: tell a full queue from a broker that is down.
    if (exception instanceof BrokerError && body.statusCode === HttpStatus.SERVICE_UNAVAILABLE)
      markRefusal(reply, exception.code === 'BROKER_QUEUE_FULL' ? 'queue_full' : 'broker_unavailable');
    if (body.statusCode >= 500 && body.statusCode !== HttpStatus.SERVICE_UNAVAILABLE) {
      this.logger.error(
        `Unhandled error: ${(exception as Error)?.message ?? String(exception)}`,
        (exception as Error)?.stack,
      );
    }
    void reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    // Fastify refuses an oversized body before any parser runs; Nest hands it over as an HttpException.
    if (this.edge.bodyLimitBytes !== undefined && causeCode(exception) === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return this.toBody(bodyTooLarge(this.edge.bodyLimitBytes));
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const res = exception.getResponse();
      const message =
        typeof res === 'string'
          ? res
          : ((res as { message?: string | string[] }).message ?? exception.message);
      return { statusCode: status, error: httpErrorName(status), message };
    }
    if (exception instanceof BrokerError) {
      const status = BROKER_STATUS[exception.code] ?? HttpStatus.SERVICE_UNAVAILABLE;
      return {
        statusCode: status,
        error: httpErrorName(status),
        message: exception.message,
        code: exception.code,
      };
    }
    if (exception instanceof WorkflowError) {
      const status = WORKFLOW_STATUS[exception.code] ?? HttpStatus.BAD_REQUEST;
      return {
        statusCode: status,
        error: httpErrorName(status),
        message: exception.message,
        code: exception.code,
        ...(exception.currentStatus ? { status: exception.currentStatus } : {}),
      };
    }
    if (exception instanceof StateError) return stateErrorBody(exception);
    // Fastify's own client errors (bad JSON, body too large, bad content type) carry a 4xx statusCode.
    const fst = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fst?.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
      return {
        statusCode: fst.statusCode,
        error: httpErrorName(fst.statusCode),
        message: fst.message ?? 'Bad request',
        code: fst.code,
      };
    }
    return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
  }
}

/**
 * A store refusal by its code: bad cursors and unstorable values are the client's (400), a taken
 * id or a duplicate unique key a conflict (409), an unreachable or closing store the service's state (503); anything else
 * is a 500 whose driver detail stays in the log.
 */
function stateErrorBody(err: StateError): ApiErrorBody {
  // A unique key a caller's value collided with: theirs to change. The driver's text (table,
  // constraint, maybe the value) stays out of the answer.
  if (err.code === 'STATE_DUPLICATE')
    return {
      statusCode: HttpStatus.CONFLICT,
      error: httpErrorName(HttpStatus.CONFLICT),
      message: 'A record with this name or id exists already; pick another one',
      code: err.code,
    };
  const status =
    err.code === 'STATE_INVALID_CURSOR' || err.code === 'STATE_INVALID_INPUT'
      ? HttpStatus.BAD_REQUEST
      : err.code === 'STATE_CONFLICT'
        ? HttpStatus.CONFLICT
        : err.code === 'STATE_UNAVAILABLE' || err.code === 'STATE_CLOSED' || err.retryable
          ? HttpStatus.SERVICE_UNAVAILABLE
          : HttpStatus.INTERNAL_SERVER_ERROR;
  if (status === HttpStatus.INTERNAL_SERVER_ERROR)
    return { statusCode: status, error: 'Internal Server Error', message: 'Internal server error' };
  return { statusCode: status, error: httpErrorName(status), message: err.message, code: err.code };
}

function causeCode(exception: unknown): string | undefined {
  const err = exception as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = err?.code ?? err?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function httpErrorName(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name
    ? name
        .toLowerCase()
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(' ')
    : 'Error';
}
