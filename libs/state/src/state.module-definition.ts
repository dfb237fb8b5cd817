import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StateModuleOptions } from './state.interface';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: STATE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StateModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
