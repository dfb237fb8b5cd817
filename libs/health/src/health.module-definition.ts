import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { HealthModuleOptions } from './health.interface';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<HealthModuleOptions>().setClassMethodName('forRoot').build();
