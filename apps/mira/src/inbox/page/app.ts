// The reviewers' inbox: plain DOM code, no dependencies. Every call goes to this service's own
// JSON API with the session cookie and the session's CSRF token; all text is set with
// textContent (never innerHTML), so nothing from a workflow can run as markup.
export {};

interface Session {
  name: string;
  roles: string[];
  csrf_token: string;
  allow_self_approval: boolean;
}
interface Decision {
  actor: string;
  actor_name?: string;
  dismissed?: boolean;
  decision: string;
  comment: string | null;
  at: string;
}
interface Workflow {
  workflow_id: string;
  workflow_type: string;
  status: string;
  requested_by: string;
  requested_by_name?: string;
  created_at: string;
  updated_at: string;
  data: unknown;
  governance: unknown;
  risk_level: string | null;
  reasons: string[];
  approvals: number;
  approvals_required: number;
  decisions: Decision[];
  expires_at: string | null;
}
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
let session: Session | null = null;
let current: Workflow | null = null;

function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function when(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function say(text: string, kind: 'error' | 'ok'): void {
  const box = $('message');
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = false;
}
function quiet(): void {
  $('message').hidden = true;
}

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (session) headers['x-csrf-token'] = session.csrf_token;
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

/** Words for a refused call: who may do what, or that someone else was quicker. */
function explain(err: unknown): string {
  if (!(err instanceof ApiError))
    return 'The service cannot be reached. Check your connection and try again.';
  if (err.status === 401) return 'Your session has ended. Sign in again.';
  if (err.status === 403) return `Not allowed: ${err.message}`;
  if (err.status === 404) return 'This workflow no longer exists.';
  if (err.status === 409) return `Someone else decided first: ${err.message}`;
  if (err.status === 400 || err.status === 422) return `The request was refused: ${err.message}`;
  return `Something went wrong (${err.status}): ${err.message}`;
}

function show(view: 'signin' | 'list-view' | 'detail-view'): void {
  for (const id of ['signin', 'list-view', 'detail-view']) $(id).hidden = id !== view;
}

function mine(w: Workflow): boolean {
  return session !== null && (w.requested_by_name ?? w.requested_by) === session.name;
}
function decidedByMe(w: Workflow): boolean {
  return session !== null && w.decisions.some((d) => (d.actor_name ?? d.actor) === session!.name);
}

async function renderList(): Promise<void> {
  show('list-view');
  const pending = await api<{ items: Workflow[] }>('/api/v1/workflows?status=pending_approval&limit=100');
  // Newest first (the API's order); the ones this person cannot decide (already voted) are left out.
  const items = pending.items.filter((w) => !decidedByMe(w));
  const list = $('pending');
  list.replaceChildren();
  $('empty').hidden = items.length > 0;
  for (const w of items) {
    const li = el('li');
    li.dataset.workflowId = w.workflow_id;
    const link = el('a', `${w.workflow_type} · ${w.workflow_id}`, 'title') as HTMLAnchorElement;
    link.href = `#/w/${encodeURIComponent(w.workflow_id)}`;
    li.append(link);
    const meta = el('div', undefined, 'meta');
    const risk = el('span', `risk: ${w.risk_level ?? 'unknown'}`, `badge risk-${w.risk_level ?? 'none'}`);
    meta.append(
      risk,
      el('span', `requested by ${w.requested_by_name ?? w.requested_by}${mine(w) ? ' (you)' : ''}`),
      el('span', `approvals ${w.approvals} of ${w.approvals_required}`),
      el('span', `expires ${when(w.expires_at)}`),
    );
    li.append(meta);
    if (w.reasons.length > 0) li.append(el('div', w.reasons.join(' · ')));
    list.append(li);
  }
  await renderRecent();
}

async function renderRecent(): Promise<void> {
  const page = await api<{ items: Workflow[] }>('/api/v1/workflows?limit=50');
  const list = $('recent');
  list.replaceChildren();
  const mineDecided = page.items.filter(decidedByMe).slice(0, 10);
  $('recent-empty').hidden = mineDecided.length > 0;
  for (const w of mineDecided) {
    const d = [...w.decisions].reverse().find((x) => (x.actor_name ?? x.actor) === session!.name)!;
    const li = el('li');
    const link = el('a', `${w.workflow_type} · ${w.workflow_id}`) as HTMLAnchorElement;
    link.href = `#/w/${encodeURIComponent(w.workflow_id)}`;
    li.append(link, el('span', ` — you chose ${d.decision}; now ${w.status}`));
    list.append(li);
  }
}

async function renderDetail(id: string): Promise<void> {
  const w = await api<Workflow>(`/api/v1/workflows/${encodeURIComponent(id)}`);
  current = w;
  show('detail-view');
  $('detail-title').textContent = `${w.workflow_type} · ${w.workflow_id}`;
  const facts = $('detail-facts');
  facts.replaceChildren();
  const fact = (k: string, v: string) => facts.append(el('dt', k), el('dd', v));
  fact('Status', w.status);
  fact('Requested by', w.requested_by_name ?? w.requested_by);
  fact('Risk level', w.risk_level ?? 'unknown');
  fact('Approvals', `${w.approvals} of ${w.approvals_required}`);
  fact('Created', when(w.created_at));
  fact('Expires', when(w.expires_at));
  const reasons = $('detail-reasons');
  reasons.replaceChildren(...w.reasons.map((r) => el('li', r)));
  $('detail-governance').textContent = JSON.stringify(w.governance, null, 2);
  $('detail-input').textContent = JSON.stringify(w.data, null, 2);
  const decisions = $('detail-decisions');
  decisions.replaceChildren(
    ...(w.decisions.length === 0
      ? [el('li', 'None yet.', 'muted')]
      : w.decisions.map((d) =>
          el(
            'li',
            `${d.actor_name ?? d.actor}: ${d.decision}${d.dismissed ? ' (dismissed)' : ''}${d.comment ? ` — “${d.comment}”` : ''}`,
          ),
        )),
  );
  const form = $<HTMLFormElement>('decide');
  form.hidden = w.status !== 'pending_approval';
  form.reset();
  $<HTMLTextAreaElement>('patch').value = '{}';
  $('edit-box').hidden = true;
  // Separation of duties as the server applies it: off when governance.allow_self_approval is on.
  const selfBlocked = mine(w) && !session!.allow_self_approval;
  const note = $('decide-note');
  note.hidden = !selfBlocked;
  note.textContent = selfBlocked ? 'You requested this workflow: another person must approve it.' : '';
  $('detail-title').focus();
}

/** The approve body: comment, and the input edit as a JSON object (checked before sending). */
function approveBody(): { comment?: string; data_patch?: Record<string, unknown> } | string {
  const comment = $<HTMLTextAreaElement>('comment').value.trim();
  const body: { comment?: string; data_patch?: Record<string, unknown> } = {};
  if (comment) body.comment = comment;
  if ($<HTMLInputElement>('edit-toggle').checked) {
    let patch: unknown;
    try {
      patch = JSON.parse($<HTMLTextAreaElement>('patch').value);
    } catch (err) {
      return `The input changes are not valid JSON: ${(err as Error).message}`;
    }
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
      return 'The input changes must be a JSON object, e.g. {"duration_weeks": 16}';
    if (Object.keys(patch).length > 0) body.data_patch = patch as Record<string, unknown>;
  }
  return body;
}

async function decide(kind: 'approve' | 'reject'): Promise<void> {
  if (!current) return;
  quiet();
  let body: unknown;
  if (kind === 'reject') {
    const comment = $<HTMLTextAreaElement>('comment').value.trim();
    if (!comment) {
      say('A rejection needs a comment: say why, so the requester can act on it.', 'error');
      $('comment').focus();
      return;
    }
    body = { comment };
  } else {
    const built = approveBody();
    if (typeof built === 'string') {
      say(built, 'error');
      $('patch').focus();
      return;
    }
    body = built;
  }
  const buttons = [$<HTMLButtonElement>('approve'), $<HTMLButtonElement>('reject')];
  buttons.forEach((b) => (b.disabled = true));
  try {
    const w = await api<Workflow>(`/api/v1/workflows/${encodeURIComponent(current.workflow_id)}/${kind}`, {
      method: 'POST',
      body,
    });
    say(`You ${kind === 'approve' ? 'approved' : 'rejected'} ${w.workflow_id}; it is now ${w.status}.`, 'ok');
    location.hash = '#/';
  } catch (err) {
    say(explain(err), 'error');
    if (err instanceof ApiError && err.status === 409)
      await renderDetail(current.workflow_id).catch(() => undefined);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

async function route(): Promise<void> {
  if (!session) return;
  const m = /^#\/w\/(.+)$/.exec(location.hash);
  try {
    if (m) await renderDetail(decodeURIComponent(m[1]));
    else await renderList();
  } catch (err) {
    say(explain(err), 'error');
    if (err instanceof ApiError && err.status === 401) {
      session = null;
      $('who').hidden = true;
      show('signin');
    }
  }
}

async function start(): Promise<void> {
  try {
    session = await api<Session>('/inbox/session');
  } catch {
    session = null;
  }
  if (!session) {
    show('signin');
    return;
  }
  $('who-name').textContent = `${session.name} (${session.roles.join(', ') || 'no roles'})`;
  $('who').hidden = false;
  await route();
}

$('decide').addEventListener('submit', (event) => {
  event.preventDefault();
  const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
  void decide(submitter?.value === 'reject' ? 'reject' : 'approve');
});
$<HTMLInputElement>('edit-toggle').addEventListener('change', (e) => {
  $('edit-box').hidden = !(e.target as HTMLInputElement).checked;
});
$('logout').addEventListener('click', async () => {
  try {
    const out = await api<{ logout_url: string }>('/inbox/logout', { method: 'POST' });
    session = null;
    location.assign(out.logout_url);
  } catch (err) {
    say(explain(err), 'error');
  }
});
window.addEventListener('hashchange', () => void route());
void start();
