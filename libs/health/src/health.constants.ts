/** Route of the health controller; the probes are `/<route>/live`, `/ready` and `/startup`. */
export const HEALTH_ROUTE = 'healthz';
/** The path of `GET /healthz`, and the prefix of the probe paths. */
export const HEALTH_PATH = `/${HEALTH_ROUTE}`;
