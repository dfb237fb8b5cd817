import { ProjectsError } from '../projects.error';
import type { StatusMap, TaskStatus } from '../task.interface';

/** The project's `status_map` wins: the first tracker state (label, status, list name) it names. */
export function mapStatus(
  statusMap: StatusMap,
  states: readonly (string | null | undefined)[],
  fallback: TaskStatus,
): TaskStatus {
  for (const s of states) {
    if (!s) continue;
    const hit = statusMap[s.toLowerCase()];
    if (hit) return hit;
  }
  return fallback;
}

export const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);

export function requireCredential(credentials: Record<string, unknown>, kind: string, key: string): string {
  const v = credentials[key];
  if (typeof v !== 'string' || !v)
    throw new ProjectsError(
      'CONNECTOR_NOT_CONFIGURED',
      `integrations.${kind}.${key} is not set: give it as a secret:// reference`,
    );
  return v;
}
