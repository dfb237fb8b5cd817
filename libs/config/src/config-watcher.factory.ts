import { Injectable } from '@nestjs/common';
import type { ConfigWatcher, ConfigWatcherHandlers, ConfigWatchTarget } from './config-watcher.interface';
import { NativeConfigWatcher } from './config-watcher.native';
import { PollingConfigWatcher } from './config-watcher.poll';

/** Creates watchers; injectable so tests can make native watching unavailable. */
@Injectable()
export class ConfigWatcherFactory {
  native(target: ConfigWatchTarget, handlers: ConfigWatcherHandlers): Promise<ConfigWatcher> {
    return NativeConfigWatcher.start(target, handlers);
  }

  poll(intervalMs: number, tick: () => void): ConfigWatcher {
    return new PollingConfigWatcher(intervalMs, tick);
  }
}
