import { SetMetadata } from '@nestjs/common';
import { REQUIRE_API_KEY_METADATA } from './security.constants';

/** Requires an API key on a route outside /api/* (everything under /api/* always requires one). */
export const RequireApiKey = (): ClassDecorator & MethodDecorator =>
  SetMetadata(REQUIRE_API_KEY_METADATA, true);
