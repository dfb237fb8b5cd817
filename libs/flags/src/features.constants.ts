/** Metadata key holding the flag name(s) a route or controller requires. */
export const FEATURE_FLAG_METADATA = 'mira:feature-flag';
