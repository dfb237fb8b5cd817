// The reviewers' inbox: plain DOM code, no dependencies. Every call goes to this service's own
// JSON API with the session cookie and the session's CSRF token; all text is set with
// textContent (never innerHTML), so nothing from a workflow can run as markup.
import { actorOf, api, state, titleOf, type Session, type Workflow } from './api.js';
import { renderDetail, renderDiff } from './detail.js';
import { ApiError, explain, relative } from './format.js';
import { loadList, loadMore, renderList, type Tab } from './list.js';
import { loadUiFlags, UI_FLAG_DEFAULTS, type UiFlags } from './flags.js';
import { follow } from './stream.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
let current: Workflow | null = null;
let updatedAt: number | null = null;
let ui: UiFlags = { ...UI_FLAG_DEFAULTS };

function say(box: HTMLElement, text: string, kind: 'error' | 'ok', focus = false): void {
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = false;
  if (focus) {
    box.focus();
    box.scrollIntoView({ block: 'center' });
  }
}
function show(view: 'signin' | 'list-view' | 'detail-view'): void {
  for (const id of ['signin', 'list-view', 'detail-view']) $(id).hidden = id !== view;
  // Messages belong to the view they were said in.
  for (const id of ['list-message', 'detail-message', 'decide-result']) $(id).hidden = true;
}

function tabOf(hash: string): Tab {
  return hash === '#/mine' ? 'mine' : hash === '#/decided' ? 'decided' : 'needs';
}

function touched(): void {
  updatedAt = Date.now();
  tick();
}
function tick(): void {
  const text = updatedAt ? `Updated ${relative(new Date(updatedAt).toISOString())}` : '';
  $('list-live').textContent = text;
  $('detail-live').textContent = text;
}

async function openDetail(id: string, keepResult = false): Promise<void> {
  const w = await api<Workflow>(`/api/v1/workflows/${encodeURIComponent(id)}`);
  // The reader may have gone elsewhere while this was loading (a live refresh after a decision,
  // then "back to the list"): drawing it now would cover the view they asked for.
  if (routedId() !== id) return;
  const fresh = current?.workflow_id !== id;
  current = w;
  if (fresh) {
    show('detail-view');
    $<HTMLFormElement>('decide').reset();
    $<HTMLTextAreaElement>('patch').value = '{}';
    $('edit-box').hidden = true;
    $('detail-json').hidden = true;
    $('json-toggle').hidden = !ui.show_raw_json;
    $('json-toggle').setAttribute('aria-expanded', 'false');
    $('json-toggle').textContent = 'Show JSON';
  } else if (!keepResult) $('detail-message').hidden = true;
  renderDetail(w);
  buttonsBox().hidden = false;
  touched();
  if (fresh) $('detail-title').focus();
}

/** The workflow id the address names (`#/w/<id>`), or null on a list. */
function routedId(): string | null {
  const m = /^#\/w\/(.+)$/.exec(location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

async function route(): Promise<void> {
  if (!state.session) return;
  const id = routedId();
  const m = id !== null;
  try {
    if (m) await openDetail(id);
    else {
      current = null;
      show('list-view');
      await loadList(tabOf(location.hash));
      touched();
    }
  } catch (err) {
    // Like a stale success (openDetail): a failure for a workflow the reader left says nothing.
    if (m && routedId() !== id) return;
    say($(m ? 'detail-message' : 'list-message'), explain(err), 'error');
    if (m) $('detail-view').hidden = false;
    if (err instanceof ApiError && err.status === 401) signedOut(true);
  }
}

/** Refreshes what is on screen after a change elsewhere (stream event or poll). */
async function refresh(workflowId?: string): Promise<void> {
  if (!state.session) return;
  try {
    if (current && (!workflowId || workflowId === current.workflow_id))
      await openDetail(current.workflow_id, true);
    else if (!current) {
      await loadList(tabOf(location.hash));
      touched();
    }
  } catch (err) {
    // Signed out elsewhere (logout, session expiry, removed from the groups): say so now.
    if (err instanceof ApiError && err.status === 401) signedOut(true);
    // Otherwise the next event or poll tries again.
  }
}

let poll: number | null = null;
let stopStream: (() => void) | null = null;
/**
 * Live updates: the event stream, or polling every 10 s while the stream is down; polling only
 * when the inbox.live_updates flag is off (e.g. behind a proxy that buffers streams).
 */
function live(): void {
  if (!ui.live_updates) {
    poll = window.setInterval(() => void refresh(), 10000);
    return;
  }
  let timer: number | null = null;
  stopStream = follow({
    event: (_type, data) => {
      if (timer !== null) clearTimeout(timer);
      timer = window.setTimeout(() => void refresh(data.workflow_id), 100);
    },
    up: () => {
      if (poll !== null) clearInterval(poll);
      poll = null;
    },
    down: () => {
      if (poll === null && state.session) poll = window.setInterval(() => void refresh(), 10000);
    },
    ended: () => signedOut(true),
  });
}

/** Shows the sign-in view; `ended`: a session the page had is gone, so it says so. */
function signedOut(ended = false): void {
  state.session = null;
  if (poll !== null) clearInterval(poll);
  poll = null;
  stopStream?.();
  stopStream = null;
  $('who').hidden = true;
  show('signin');
  $('signin-ended').hidden = !ended;
}

async function start(): Promise<void> {
  try {
    state.session = await api<Session>('/inbox/session');
  } catch {
    state.session = null;
  }
  if (!state.session) return signedOut();
  $('who-name').textContent = state.session.name;
  $('who').hidden = false;
  ui = await loadUiFlags();
  await route();
  live();
  window.setInterval(tick, 30000);
}

// Deciding: a dialog that names the action and the workflow, then the result beside the buttons.
let pending: 'approve' | 'reject' | null = null;

function patchOf(): Record<string, unknown> | string | null {
  if (!$<HTMLInputElement>('edit-toggle').checked) return null;
  let patch: unknown;
  try {
    patch = JSON.parse($<HTMLTextAreaElement>('patch').value);
  } catch {
    return 'The changes to the input are not valid JSON. Check quotes and commas, e.g. {"duration_weeks": 16}.';
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    return 'The changes to the input must be a JSON object, e.g. {"duration_weeks": 16}.';
  return Object.keys(patch).length ? (patch as Record<string, unknown>) : null;
}

const buttonsBox = (): HTMLElement => $('decide-fields').querySelector('.actions') as HTMLElement;

function ask(kind: 'approve' | 'reject'): void {
  if (!current) return;
  const result = $('decide-result');
  result.hidden = true;
  const comment = $<HTMLTextAreaElement>('comment').value.trim();
  if (kind === 'reject' && !comment) {
    say(result, 'A rejection needs a comment: say why, so the requester can act on it.', 'error', true);
    return;
  }
  const patch = kind === 'approve' ? patchOf() : null;
  if (typeof patch === 'string') return say(result, patch, 'error', true);
  pending = kind;
  const name = titleOf(current);
  const next = Math.min(current.approvals + 1, current.approvals_required);
  $('confirm-title').textContent =
    kind === 'approve'
      ? `Approve '${name}' (${next} of ${current.approvals_required})?`
      : `Reject '${name}'?`;
  $('confirm-text').textContent =
    kind === 'reject'
      ? 'Reject — this ends the workflow. It will not run, whatever other approvers decide.'
      : next >= current.approvals_required
        ? `Yours is the last approval needed: the workflow starts running.${patch ? ' Your edit to the input is applied first.' : ''}`
        : `${current.approvals_required - next} more approval${current.approvals_required - next === 1 ? '' : 's'} will still be needed.${patch ? ' Your edit dismisses earlier approvals.' : ''}`;
  const ok = $<HTMLButtonElement>('confirm-ok');
  ok.textContent = kind === 'approve' ? 'Approve' : 'Reject';
  ok.className = kind === 'reject' ? 'danger' : '';
  $<HTMLDialogElement>('confirm').showModal();
}

async function decide(kind: 'approve' | 'reject'): Promise<void> {
  if (!current) return;
  const result = $('decide-result');
  const comment = $<HTMLTextAreaElement>('comment').value.trim();
  const patch = kind === 'approve' ? patchOf() : null;
  const body =
    kind === 'reject'
      ? { comment }
      : {
          ...(comment ? { comment } : {}),
          ...(patch && typeof patch === 'object' ? { data_patch: patch } : {}),
        };
  const buttons = [$<HTMLButtonElement>('approve'), $<HTMLButtonElement>('reject')];
  buttons.forEach((b) => (b.disabled = true));
  const name = titleOf(current);
  try {
    const w = await api<Workflow>(`/api/v1/workflows/${encodeURIComponent(current.workflow_id)}/${kind}`, {
      method: 'POST',
      body,
    });
    $<HTMLFormElement>('decide').reset();
    await openDetail(w.workflow_id, true).catch(() => undefined);
    const state =
      w.status === 'pending_approval'
        ? `it has ${w.approvals} of ${w.approvals_required} approvals`
        : `it is now ${w.status.replace(/_/g, ' ')}`;
    say(result, `You ${kind === 'approve' ? 'approved' : 'rejected'} '${name}': ${state}.`, 'ok', true);
  } catch (err) {
    let text = explain(err);
    if (err instanceof ApiError && err.status === 409) {
      // The typed comment stays; say what happened instead.
      await openDetail(current.workflow_id, true).catch(() => undefined);
      // The form stays open with the comment in it (to copy, or to use elsewhere); the buttons go.
      $('decide').hidden = false;
      $('decide-fields').hidden = false;
      buttonsBox().hidden = true;
      const last = current?.decisions.at(-1);
      if (last)
        text = `${text} ${actorOf(last)} ${last.decision === 'approve' ? 'approved' : 'rejected'} ${relative(last.at)}${last.comment ? `: “${last.comment}”` : ''}. Your comment is kept below.`;
    }
    say(result, text, 'error', true);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

$('decide').addEventListener('submit', (event) => {
  event.preventDefault();
  const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
  ask(submitter?.value === 'reject' ? 'reject' : 'approve');
});
$<HTMLDialogElement>('confirm').addEventListener('close', () => {
  const kind = pending;
  pending = null;
  if (kind && $<HTMLDialogElement>('confirm').returnValue === 'ok') void decide(kind);
  else $(kind === 'reject' ? 'reject' : 'approve').focus();
});
$<HTMLInputElement>('edit-toggle').addEventListener('change', (e) => {
  $('edit-box').hidden = !(e.target as HTMLInputElement).checked;
  if (current) renderDiff(current, {});
});
$('patch').addEventListener('input', () => {
  const patch = patchOf();
  if (current && typeof patch !== 'string') renderDiff(current, patch ?? {});
});
$('json-toggle').addEventListener('click', () => {
  const box = $('detail-json');
  box.hidden = !box.hidden;
  $('json-toggle').setAttribute('aria-expanded', String(!box.hidden));
  $('json-toggle').textContent = box.hidden ? 'Show JSON' : 'Hide JSON';
});
// The type filter asks the API; the others narrow what is loaded.
$('filters').addEventListener('change', (e) => {
  if ((e.target as HTMLElement).id === 'f-type') void loadList(tabOf(location.hash));
  else renderList(tabOf(location.hash));
});
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('f-requester').addEventListener('input', () => renderList(tabOf(location.hash)));
$('more').addEventListener(
  'click',
  () => void loadMore().catch((err) => say($('list-message'), explain(err), 'error')),
);
$('logout').addEventListener('click', async () => {
  try {
    const out = await api<{ logout_url: string }>('/inbox/logout', { method: 'POST' });
    state.session = null;
    location.assign(out.logout_url);
  } catch (err) {
    say($(current ? 'detail-message' : 'list-message'), explain(err), 'error');
  }
});
window.addEventListener('hashchange', () => {
  if (!/^#\/w\//.test(location.hash)) current = null;
  void route();
});
void start();
