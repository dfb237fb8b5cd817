// One workflow: its summary first, the input readable, the assessment as a table, decisions.
import { actorOf, requesterOf, titleOf, whyNot, type Workflow } from './api.js';
import { el, exact, label, money, MONEY_KEY, number, riskText, statusText, timeEl } from './format.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const FOLD = 280;
const LIST_FOLD = 10;

function currencyOf(w: Workflow): string {
  const c = w.data?.currency;
  return typeof c === 'string' && /^[A-Za-z]{3}$/.test(c) ? c.toUpperCase() : 'USD';
}

/** Long text and long lists fold behind "Show all", so the decision stays within reach. */
function showAll(container: HTMLElement, hidden: HTMLElement[], what: string): void {
  if (!hidden.length) return;
  hidden.forEach((h) => (h.hidden = true));
  const button = el('button', `Show all ${what}`, 'link') as HTMLButtonElement;
  button.type = 'button';
  button.addEventListener('click', () => {
    hidden.forEach((h) => (h.hidden = false));
    button.remove();
  });
  container.append(button);
}

function value(key: string, v: unknown, currency: string, depth = 0): HTMLElement {
  if (typeof v === 'number') return el('span', MONEY_KEY.test(key) ? money(v, currency) : number(v));
  if (typeof v === 'boolean') return el('span', v ? 'Yes' : 'No');
  if (v === null || v === undefined) return el('span', '—', 'muted');
  if (typeof v === 'string') {
    if (v.length <= FOLD) return el('span', v);
    const box = el('span');
    const rest = el('span', v.slice(FOLD));
    box.append(el('span', v.slice(0, FOLD)), rest);
    showAll(box, [rest], `(${number(v.length)} characters)`);
    return box;
  }
  if (Array.isArray(v)) {
    const wrap = el('div');
    const ul = el('ul', undefined, 'values');
    const items = v.map((item) => {
      const li = el('li');
      li.append(value(key, item, currency, depth + 1));
      return li;
    });
    ul.append(...items);
    wrap.append(ul);
    showAll(wrap, items.slice(LIST_FOLD), `${number(v.length)} items`);
    return wrap;
  }
  if (depth > 3) return el('code', JSON.stringify(v));
  const dl = el('dl', undefined, 'facts nested');
  for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
    const dd = el('dd');
    dd.append(value(k, inner, currency, depth + 1));
    dl.append(el('dt', label(k)), dd);
  }
  return dl;
}

export function renderDetail(w: Workflow): void {
  $('detail-title').textContent = titleOf(w);
  const currency = currencyOf(w);
  const summary = $('detail-summary');
  summary.replaceChildren();
  const fact = (k: string, v: HTMLElement | string) => {
    const dd = el('dd');
    dd.append(typeof v === 'string' ? el('span', v) : v);
    summary.append(el('dt', k), dd);
  };
  for (const f of w.summary ?? []) {
    const text =
      typeof f.value === 'number'
        ? f.unit && /^[A-Z]{3}$/.test(f.unit)
          ? money(f.value, f.unit)
          : `${number(f.value)}${f.unit ? ` ${f.unit}` : ''}`
        : `${f.value}${f.unit ? ` ${f.unit}` : ''}`;
    fact(f.label, text);
  }
  fact('Status', statusText(w.status));
  fact('Risk', el('span', riskText(w.risk_level), `badge risk-${w.risk_level ?? 'none'}`));
  fact('Approvals', `${w.approvals} of ${w.approvals_required}`);
  fact('Requested by', requesterOf(w));
  fact('Asked', timeEl(w.created_at));
  if (w.status === 'pending_approval') fact('Expires', timeEl(w.expires_at, '', 'does not expire'));
  fact('Type', w.workflow_type.replace(/_/g, ' '));

  $('detail-reasons').replaceChildren(
    ...(w.reasons.length ? w.reasons.map((r) => el('li', r)) : [el('li', 'None given.', 'muted')]),
  );
  const table = $('detail-assessment');
  const rows = Object.entries(w.governance ?? {}).filter(([k]) => k !== 'reasons');
  table.replaceChildren();
  table.append(el('caption', 'Governance assessment', 'sr-only'));
  if (!rows.length) table.append(rowOf('Assessment', el('span', 'No assessment was made.', 'muted')));
  for (const [k, v] of rows)
    table.append(
      rowOf(label(k), k === 'risk_level' ? el('span', riskText(String(v))) : value(k, v, currency)),
    );

  $('detail-input').replaceChildren(value('', w.data ?? {}, currency));
  $('detail-json').textContent = JSON.stringify({ data: w.data, governance: w.governance }, null, 2);

  const decisions = $('detail-decisions');
  decisions.replaceChildren(
    ...(w.decisions.length === 0
      ? [el('li', 'No decisions yet.', 'muted')]
      : w.decisions.map((d) => {
          const li = el('li');
          li.append(
            el('strong', `${actorOf(d)} ${d.decision === 'approve' ? 'approved' : 'rejected'}`),
            el('span', ' '),
            timeEl(d.at),
          );
          if (d.dismissed) li.append(el('span', ' (dismissed by a later edit)', 'muted'));
          if (d.comment) li.append(el('blockquote', d.comment));
          return li;
        })),
  );
  const why = whyNot(w);
  $('decide').hidden = w.status !== 'pending_approval';
  $('decide-fields').hidden = why !== null;
  $('decide-note').hidden = why === null;
  $('decide-note').textContent = why ?? '';
  $('edit-note').textContent =
    w.approvals > 0
      ? `Sending an edit dismisses the ${w.approvals} earlier approval${w.approvals === 1 ? '' : 's'}: the changed input needs ${w.approvals_required} approvals again (yours counts as one).`
      : 'Sending an edit makes your approval one of the changed input; approvals are bound to the data they saw.';
}

function rowOf(k: string, v: HTMLElement): HTMLElement {
  const tr = el('tr');
  const th = el('th', k);
  th.setAttribute('scope', 'row');
  const td = el('td');
  td.append(v);
  tr.append(th, td);
  return tr;
}

/** The edit as "field: before -> after" lines, shown before it is sent. */
export function renderDiff(w: Workflow, patch: Record<string, unknown>): void {
  const list = $('patch-diff');
  const show = (v: unknown) => (v === undefined ? '(not set)' : v === null ? '(removed)' : JSON.stringify(v));
  const lines = Object.entries(patch).map(([k, after]) => {
    const li = el('li');
    li.append(
      el('strong', `${label(k)}: `),
      el('del', show(w.data?.[k])),
      el('span', ' → '),
      el('ins', show(after)),
    );
    return li;
  });
  list.replaceChildren(...(lines.length ? lines : [el('li', 'No changes yet.', 'muted')]));
}

export const exactTime = exact;
