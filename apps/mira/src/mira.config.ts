// The service's configuration: the sections of every lib the app composes, plus its own. Each
// section is declared by its owner (libs/<lib>/src/<lib>.config.ts); registering them here, in
// this order, fixes the order of docs/configuration.md and of validation messages. The files are
// imported directly (not through the libs' index.ts) because the docs generator and the test
// setup load this list without the libs' Nest modules; each lib's module registers its own
// section again with ConfigModule.forFeature, which is a no-op for the same section.
import { ConfigModule, type ConfigSection } from '@mira/config';
import { agentsConfig, governanceConfig } from '../../../libs/agents/src/agents.config';
import { brokerConfig } from '../../../libs/broker/src/broker.config';
import { featuresConfig } from '../../../libs/flags/src/flags.config';
import { healthConfig } from '../../../libs/health/src/health.config';
import { loggingConfig } from '../../../libs/logging/src/logging.config';
import { secretsConfig } from '../../../libs/secrets/src/secrets.config';
import { shutdownConfig } from '../../../libs/shutdown/src/shutdown.config';
import { stateConfig } from '../../../libs/state/src/state.config';
import { tracingConfig } from '../../../libs/tracing/src/tracing.config';
import { webhooksConfig } from '../../../libs/webhooks/src/webhooks.config';
import { projectsConfig } from '../../../libs/projects/src/projects.config';
import { deliveriesConfig } from '../../../libs/deliveries/src/deliveries.config';
import { schedulesConfig } from '../../../libs/schedules/src/schedules.config';
import { apiConfig, authConfig } from './security/security.config';
import { eventsConfig } from './events/event-results.config';

/** In registration order (after the core sections of @mira/config). */
export const MIRA_CONFIG_SECTIONS: readonly ConfigSection[] = [
  loggingConfig,
  brokerConfig,
  secretsConfig,
  // api before governance before webhooks: the order reload holds are reported in.
  apiConfig,
  authConfig,
  agentsConfig,
  governanceConfig,
  webhooksConfig,
  shutdownConfig,
  healthConfig,
  stateConfig,
  tracingConfig,
  featuresConfig,
  projectsConfig,
  deliveriesConfig,
  schedulesConfig,
  eventsConfig,
];

/** Registered now (at require time), so loadConfig() in main.ts validates the whole. */
export const MIRA_CONFIG_FEATURES = MIRA_CONFIG_SECTIONS.map((section) => ConfigModule.forFeature(section));
