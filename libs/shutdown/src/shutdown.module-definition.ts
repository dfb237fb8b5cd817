import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ShutdownModuleOptions } from './shutdown.interface';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: SHUTDOWN_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<ShutdownModuleOptions>().setClassMethodName('forRoot').build();
