import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HttpServerShutdownHook } from './http-server.shutdown';
import { ProcessSignals } from './process-signals.provider';
import { ConfigurableModuleClass } from './shutdown.module-definition';
import { ShutdownService } from './shutdown.service';
import { ConfigModule } from '@mira/config';
import { shutdownConfig } from './shutdown.config';

/**
 * Ordered graceful shutdown. Modules contribute hooks with @ShutdownHook() providers or
 * ShutdownService.register(); main.ts hands signals over with `app.get(ShutdownService).attach(app)`.
 * Global so any module can inject ShutdownService without importing this one.
 */
@Global()
@Module({
  imports: [DiscoveryModule, ConfigModule.forFeature(shutdownConfig)],
  providers: [ProcessSignals, ShutdownService, HttpServerShutdownHook],
  exports: [ShutdownService],
})
export class ShutdownModule extends ConfigurableModuleClass {}
