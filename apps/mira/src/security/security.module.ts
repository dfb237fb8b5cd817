import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getOptionsToken } from '@nestjs/throttler';
import { ConfigStore } from '@mira/config';
import { WEBHOOK_ADMIN_CHECK, type WebhookAdminCheck } from '@mira/webhooks';
import { CallerGuard } from './caller.guard';
import { CredentialRevocations } from './credential-revocations';
import { ApiKeyService } from './api-key.service';
import { BearerJwtResolver } from './bearer-jwt.resolver';
import { IdentityResolvers } from './identity-resolvers';
import { OidcClientService } from './oidc-client.service';
import { EdgeClock } from './edge-clock';
import { EdgeThrottlerGuard, edgeThrottlerOptions } from './edge-throttler.guard';
import { RuntimeEnvironment } from './runtime-environment';
import { edgeThrottlerStorageProvider } from './throttler-storage.provider';

/**
 * Request-level edge security as global guards, in this order: rate limiting first (so key
 * guessing is throttled per IP too), then the caller's identity (API keys, bearer JWTs, and
 * resolvers other modules register, e.g. the inbox session). HTTP-level hardening (headers, body parsing,
 * content types) is applied to the Fastify instance by the HTTP edge (apps/mira/src/edge) in createApp.
 */
@Global()
@Module({
  providers: [
    EdgeClock,
    CredentialRevocations,
    RuntimeEnvironment,
    ApiKeyService,
    OidcClientService,
    BearerJwtResolver,
    IdentityResolvers,
    edgeThrottlerStorageProvider,
    { provide: getOptionsToken(), inject: [ConfigStore], useFactory: edgeThrottlerOptions },
    {
      // Only an API key with the admin role (not open mode's anonymous admin) is told why a webhook failed.
      provide: WEBHOOK_ADMIN_CHECK,
      inject: [ApiKeyService],
      useFactory: (keys: ApiKeyService): WebhookAdminCheck => ({
        isAdmin: async (req) => keys.keyIdentity(req)?.roles.includes('admin') ?? false,
      }),
    },
    { provide: APP_GUARD, useClass: EdgeThrottlerGuard },
    { provide: APP_GUARD, useClass: CallerGuard },
  ],
  exports: [
    EdgeClock,
    CredentialRevocations,
    ApiKeyService,
    RuntimeEnvironment,
    OidcClientService,
    IdentityResolvers,
    WEBHOOK_ADMIN_CHECK,
  ],
})
export class SecurityModule {}
