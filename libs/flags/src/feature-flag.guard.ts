import { type CanActivate, type ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FEATURE_FLAG_METADATA } from './features.constants';
import { FeatureFlagsService } from './feature-flags.service';

/**
 * Lets a request through only when every flag named by @FeatureFlag on the handler and its class
 * is on. A gated-off route answers 404, exactly like a route that does not exist: clients cannot
 * probe for unreleased features, and enabling the flag is indistinguishable from deploying the route.
 */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly flags: FeatureFlagsService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required = [
      ...(this.reflector.get<string[] | undefined>(FEATURE_FLAG_METADATA, context.getClass()) ?? []),
      ...(this.reflector.get<string[] | undefined>(FEATURE_FLAG_METADATA, context.getHandler()) ?? []),
    ];
    if (required.every((flag) => this.flags.isEnabled(flag))) return true;
    throw new NotFoundException('Not Found');
  }
}
