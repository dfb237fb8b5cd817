import type { InjectionToken } from '@nestjs/common';
import type { StateStore } from './state.interface';

/** Inject the durable store: `@Inject(STATE_STORE) store: StateStore`. */
export const STATE_STORE: InjectionToken<StateStore> = Symbol('mira:STATE_STORE');

/** Name of the /healthz check. */
export const STATE_HEALTH_NAME = 'state';

/** The health check's own time limit: a store that cannot answer `select 1` this fast is unusable. */
export const STATE_PING_TIMEOUT_MS = 1500;

/** prev_hash of the first audit entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);
