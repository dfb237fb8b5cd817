// The service's config sections first (what a start validates), then the config library.
// Required lazily by the config commands only, so HTTP commands do not load the schemas.
import '../../mira/src/mira.config';

export * from '@mira/config';
