export { ShutdownModule } from './shutdown.module';
export { ShutdownService } from './shutdown.service';
export { ShutdownHook } from './shutdown.decorator';
export { ShutdownError, type ShutdownErrorCode } from './shutdown.error';
export { ProcessSignals, type FatalOrigin } from './process-signals.provider';
export { HttpServerShutdownHook } from './http-server.shutdown';
export { SHUTDOWN_MODULE_OPTIONS } from './shutdown.module-definition';
export {
  SHUTDOWN_PRIORITY,
  SHUTDOWN_SIGNALS,
  MIN_SHUTDOWN_PRIORITY,
  MAX_SHUTDOWN_PRIORITY,
} from './shutdown.constants';
export type {
  OnShutdown,
  ShutdownContext,
  ShutdownHookFn,
  ShutdownHookHandle,
  ShutdownHookOptions,
  ShutdownHookRegistration,
  ShutdownHookReport,
  ShutdownHookOutcome,
  ShutdownResult,
  ShutdownState,
  ShutdownModuleOptions,
  ClosableApplication,
} from './shutdown.interface';
export { defaultDrainDelayMs, shutdownConfig, shutdownSchema } from './shutdown.config';
