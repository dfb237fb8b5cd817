import { HttpStatus } from '@nestjs/common';
import type { RouteFailureCode } from '@mira/agents';

/** How an envelope-level failure maps onto HTTP: client mistakes are 4xx, agent bugs 500. */
export const ROUTE_FAILURE_STATUS: Readonly<Record<RouteFailureCode, number>> = {
  no_route: HttpStatus.UNPROCESSABLE_ENTITY,
  invalid_input: HttpStatus.UNPROCESSABLE_ENTITY,
  agent_not_found: HttpStatus.NOT_FOUND,
  agent_failed: HttpStatus.INTERNAL_SERVER_ERROR,
};
