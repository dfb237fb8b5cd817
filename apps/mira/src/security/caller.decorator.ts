import { SetMetadata } from '@nestjs/common';
import { REQUIRE_CALLER_METADATA } from './security.constants';

/** Requires a known caller on a route outside /api/* (everything under /api/* always requires one). */
export const RequireCaller = (): ClassDecorator & MethodDecorator =>
  SetMetadata(REQUIRE_CALLER_METADATA, true);
