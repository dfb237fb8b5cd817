export { LoggingModule } from './logging.module';
export { LogDestinationModule } from './log-destination.module';
export { httpLoggingHooks, type HttpLoggingHooks } from './http-logging.hooks';
export {
  SERVICE_NAME,
  SERVICE_VERSION,
  LOG_DESTINATION,
  CORRELATION_HEADER,
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
  WORKFLOW_HEADER,
  ACTOR_HEADER,
  ACTOR_ROLES_HEADER,
} from './logging.constants';
export type { CorrelationContext, CorrelationFields } from './logging.interface';
export { LoggingError, type LoggingErrorCode } from './logging.error';
export {
  isValidCorrelationId,
  generateCorrelationId,
  correlationIdFromHeaders,
  correlationIdForRequest,
  traceIdFromTraceparent,
  MAX_CORRELATION_ID_LENGTH,
} from './correlation/correlation-id';
export {
  currentCorrelation,
  currentCorrelationId,
  runWithCorrelation,
  runWithContextFields,
  setContextFields,
  correlationHeaders,
} from './correlation/correlation.context';
export { WithCorrelation, type WithCorrelationOptions } from './correlation/with-correlation.decorator';
export { ClsContextPropagator } from './correlation/cls-context.propagator';
export { withCorrelationHeaders, correlationInterceptor } from './correlation/outbound-http';
export { RedactionRegistry } from './redaction/redaction.registry';
export { RedactionModule } from './redaction/redaction.module';
export { REDACTED, SENSITIVE_FIELDS, SENSITIVE_HEADERS } from './redaction/redaction.constants';
export { redactSensitive } from './redaction/redact-sensitive';
export { isQueryRedactedPath, redactQueryString } from './logging.options';
export { loggingConfig, loggingSchema, LOG_LEVELS } from './logging.config';
