export { SecurityModule } from './security.module';
export { applyHttpHardening } from './http-hardening';
export { ApiKeyService, configuredKeys, type ApiAuthMode } from './api-key.service';
export { RequireApiKey } from './api-key.decorator';
export { EdgeClock } from './edge-clock';
export { RotatingKeySet } from './rotating-key-set';
export { SecurityError, type SecurityErrorCode } from './security.error';
export { Roles, Caller } from './roles.decorator';
export type { CallerIdentity, ApiRole } from './api-key.service';
