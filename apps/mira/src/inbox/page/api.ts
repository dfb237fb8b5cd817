// The page's calls to this service's JSON API (session cookie + CSRF token) and what it answers.
import { ApiError } from './format.js';

export interface Session {
  id: string | null;
  name: string;
  roles: string[];
  csrf_token: string;
  allow_self_approval: boolean;
}
export interface Decision {
  actor: string;
  actor_name?: string | null;
  decision: string;
  comment: string | null;
  at: string;
  dismissed?: boolean;
}
export interface SummaryField {
  label: string;
  value: string | number;
  unit?: string;
}
export interface Workflow {
  workflow_id: string;
  workflow_type: string;
  title?: string | null;
  summary?: SummaryField[] | null;
  status: string;
  requested_by: string;
  requested_by_name?: string | null;
  created_at: string;
  updated_at: string;
  data?: Record<string, unknown>;
  governance: Record<string, unknown> | null;
  risk_level: string | null;
  reasons: string[];
  approvals: number;
  approvals_required: number;
  decisions: Decision[];
  expires_at: string | null;
}
export interface WorkflowPage {
  items: Workflow[];
  next_cursor: string | null;
}

export const state: { session: Session | null } = { session: null };

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (state.session) headers['x-csrf-token'] = state.session.csrf_token;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok)
    throw new ApiError(res.status, typeof body.message === 'string' ? body.message : res.statusText);
  return body as T;
}

export const titleOf = (w: Workflow): string =>
  w.title || `${w.workflow_type.replace(/_/g, ' ')} ${w.workflow_id.slice(0, 8)}`;
export const requesterOf = (w: Workflow): string => w.requested_by_name || w.requested_by;
export const actorOf = (d: Decision): string => d.actor_name || d.actor;

// Records name people by stable id (oidc:<issuer-host>:<sub>); the display name is only a fallback
// for a session that carries no id.
const me = (): string => state.session?.id ?? state.session?.name ?? '';
export const isMine = (w: Workflow): boolean =>
  w.requested_by === me() || (!state.session?.id && w.requested_by_name === me());
const votedByMe = (w: Workflow): boolean =>
  w.decisions.some(
    (d) => !d.dismissed && (d.actor === me() || (!state.session?.id && d.actor_name === me())),
  );
export const canDecideAtAll = (): boolean =>
  !!state.session && state.session.roles.some((r) => r === 'approver' || r === 'admin');

/** Why I cannot act on `w`, or null when I can. */
export function whyNot(w: Workflow): string | null {
  if (w.status !== 'pending_approval')
    return `It is ${w.status === 'cancelled' ? 'withdrawn' : w.status.replace(/_/g, ' ')}: no decision is needed.`;
  if (!canDecideAtAll())
    return 'Your account does not have the approver role, so you can follow it but not decide.';
  if (isMine(w) && !state.session!.allow_self_approval)
    return 'You requested it: another person must approve it.';
  if (votedByMe(w)) return 'You have already voted on it.';
  return null;
}
