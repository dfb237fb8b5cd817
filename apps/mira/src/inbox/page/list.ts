// The list views: "Needs my decision", "My requests", "Decided", with filters, sort and paging.
import {
  api,
  actorOf,
  isMine,
  requesterOf,
  state,
  titleOf,
  whyNot,
  type Workflow,
  type WorkflowPage,
} from './api.js';
import { el, riskText, statusText, timeEl } from './format.js';

export type Tab = 'needs' | 'mine' | 'decided';
const HEADINGS: Record<Tab, string> = { needs: 'Needs my decision', mine: 'My requests', decided: 'Decided' };
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What is loaded for the tab: the API's pages so far and where the next one starts. */
const loaded: { tab: Tab | null; items: Workflow[]; cursor: string | null } = {
  tab: null,
  items: [],
  cursor: null,
};

function query(tab: Tab, cursor: string | null): string {
  const params = new URLSearchParams({ limit: '100' });
  if (tab === 'needs') params.set('status', 'pending_approval');
  const type = $<HTMLSelectElement>('f-type').value;
  if (type) params.set('type', type);
  if (cursor) params.set('cursor', cursor);
  return `/api/v1/workflows?${params}`;
}

/** Loads the first page of `tab` again (keeps how far the reader had paged: at least one page). */
export async function loadList(tab: Tab): Promise<void> {
  const page = await api<WorkflowPage>(query(tab, null));
  loaded.tab = tab;
  loaded.items = page.items;
  loaded.cursor = page.next_cursor;
  renderList(tab);
}

export async function loadMore(): Promise<void> {
  if (!loaded.tab || !loaded.cursor) return;
  const page = await api<WorkflowPage>(query(loaded.tab, loaded.cursor));
  loaded.items.push(...page.items);
  loaded.cursor = page.next_cursor;
  renderList(loaded.tab);
}

function visible(tab: Tab): Workflow[] {
  const risk = $<HTMLSelectElement>('f-risk').value;
  const requester = $<HTMLInputElement>('f-requester').value.trim().toLowerCase();
  const needsVote = $<HTMLInputElement>('f-needs-vote').checked;
  const items = loaded.items.filter((w) => {
    if (tab === 'mine' && !isMine(w)) return false;
    if (tab === 'decided' && (w.status === 'pending_approval' || !w.decisions.length)) return false;
    if (tab === 'needs' && needsVote && whyNot(w) !== null) return false;
    if (risk && w.risk_level !== risk) return false;
    if (
      requester &&
      !requesterOf(w).toLowerCase().includes(requester) &&
      !w.requested_by.toLowerCase().includes(requester)
    )
      return false;
    return true;
  });
  const newest = $<HTMLSelectElement>('f-sort').value === 'newest';
  // A queue reads oldest first; history newest first unless asked otherwise.
  const dir = newest || (tab !== 'needs' && $<HTMLSelectElement>('f-sort').value !== 'oldest') ? -1 : 1;
  return items.sort((a, b) => dir * (Date.parse(a.created_at) - Date.parse(b.created_at)));
}

export function renderList(tab: Tab): void {
  for (const t of ['needs', 'mine', 'decided'] as Tab[]) {
    const link = $(`tab-${t}`);
    if (t === tab) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('f-needs-vote-box').hidden = tab !== 'needs';
  const items = visible(tab);
  const more = loaded.cursor !== null;
  $('list-title').textContent = `${HEADINGS[tab]} (${items.length}${more ? '+' : ''})`;
  const types = new Set(loaded.items.map((w) => w.workflow_type));
  const typeSelect = $<HTMLSelectElement>('f-type');
  for (const t of types)
    if (![...typeSelect.options].some((o) => o.value === t))
      typeSelect.append(new Option(t.replace(/_/g, ' '), t));
  const empty = $('empty');
  empty.hidden = items.length > 0;
  empty.textContent =
    tab === 'needs'
      ? 'Nothing is waiting for your decision.'
      : tab === 'mine'
        ? 'You have not requested anything yet.'
        : 'No decisions yet.';
  $('items').replaceChildren(...items.map(card));
  $('more').hidden = !more;
}

function card(w: Workflow): HTMLElement {
  const li = el('li');
  li.dataset.workflowId = w.workflow_id;
  const link = el('a', titleOf(w), 'title') as HTMLAnchorElement;
  link.href = `#/w/${encodeURIComponent(w.workflow_id)}`;
  const head = el('div', undefined, 'card-head');
  head.append(link, el('span', riskText(w.risk_level), `badge risk-${w.risk_level ?? 'none'}`));
  li.append(head);
  const meta = el('div', undefined, 'meta');
  const who = requesterOf(w) + (isMine(w) ? ' (you)' : '');
  meta.append(
    el('span', `${w.workflow_type.replace(/_/g, ' ')} · requested by ${who}`),
    timeEl(w.created_at, 'asked '),
  );
  if (w.status === 'pending_approval') meta.append(timeEl(w.expires_at, 'expires ', 'does not expire'));
  else meta.append(el('span', statusText(w.status), `status status-${w.status}`));
  li.append(meta);
  const votes = w.decisions.filter((d) => !d.dismissed);
  const approvers = votes.filter((d) => d.decision === 'approve').map(actorOf);
  const tally = el('div', `${w.approvals} of ${w.approvals_required} approvals`, 'tally');
  if (approvers.length) tally.textContent += ` — ${approvers.join(', ')}`;
  const rejected = votes.find((d) => d.decision === 'reject');
  if (rejected) tally.textContent += ` — rejected by ${actorOf(rejected)}`;
  li.append(tally);
  if (w.reasons.length > 0) {
    const reasons = el('ul', undefined, 'reasons');
    reasons.append(...w.reasons.map((r) => el('li', r)));
    li.append(reasons);
  }
  const why = whyNot(w);
  if (why && w.status === 'pending_approval') li.append(el('p', why, 'why muted'));
  else if (!why) {
    const open = el('a', 'Review and decide', 'button small') as HTMLAnchorElement;
    open.href = link.href;
    open.setAttribute('aria-label', `Review and decide: ${titleOf(w)}`);
    li.append(open);
  }
  return li;
}

export const currentTab = (): Tab | null => loaded.tab;
export const hasSession = (): boolean => state.session !== null;
