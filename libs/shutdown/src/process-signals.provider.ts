import { Injectable } from '@nestjs/common';

export type FatalOrigin = 'uncaughtException' | 'unhandledRejection';

/**
 * The process as a side effect behind an injectable class: signal and fatal-error listeners
 * and the exit itself. Tests replace it; nothing here runs until attach() asks for it.
 */
@Injectable()
export class ProcessSignals {
  onSignals(signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void): () => void {
    const listener = (signal: NodeJS.Signals) => handler(signal);
    for (const s of signals) process.on(s, listener);
    return () => signals.forEach((s) => process.removeListener(s, listener));
  }

  onFatal(handler: (error: unknown, origin: FatalOrigin) => void): () => void {
    const onException = (error: unknown) => handler(error, 'uncaughtException');
    const onRejection = (reason: unknown) => handler(reason, 'unhandledRejection');
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    return () => {
      process.removeListener('uncaughtException', onException);
      process.removeListener('unhandledRejection', onRejection);
    };
  }

  exit(code: number): void {
    process.exit(code);
  }
}
