import { Global, Module } from '@nestjs/common';
import { RedactionRegistry } from './redaction.registry';

/** Global: one RedactionRegistry per app, for the secrets module to register resolved values into. */
@Global()
@Module({ providers: [RedactionRegistry], exports: [RedactionRegistry] })
export class RedactionModule {}
