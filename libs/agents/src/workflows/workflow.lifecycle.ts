import { type WorkflowStatus } from '@mira/state';
import {
  APPROVED_EVENT,
  CANCELLED_EVENT,
  EXPIRED_EVENT,
  REJECTED_EVENT,
} from '../orchestrator/routing.constants';

// The lifecycle as agents use it: the store's statuses and counting rules (kept in @mira/state,
// which validates them), plus the event each human-decided outcome announces.
export { WORKFLOW_STATUSES, FINAL_STATUSES, countApprovals } from '@mira/state';

/** The event announced when a held workflow reaches an outcome. */
export const OUTCOME_EVENTS: Readonly<Partial<Record<WorkflowStatus, string>>> = {
  approved: APPROVED_EVENT,
  rejected: REJECTED_EVENT,
  expired: EXPIRED_EVENT,
  cancelled: CANCELLED_EVENT,
};
