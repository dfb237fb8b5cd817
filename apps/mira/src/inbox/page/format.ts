// Words for people: statuses, risks, times and numbers in the browser's locale, refusals explained.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS: Record<string, string> = {
  pending_approval: 'Waiting for approval',
  approved: 'Approved',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Withdrawn',
};
export const statusText = (s: string): string => STATUS[s] ?? s.replace(/_/g, ' ');
export const riskText = (r: string | null): string =>
  r ? `${r.charAt(0).toUpperCase()}${r.slice(1)} risk` : 'Risk not assessed';

export function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 31536000],
  ['month', 2592000],
  ['week', 604800],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** "2 hours ago", "in 3 days" (the browser's language). */
export function relative(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of UNITS)
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  // Zero is the past: a change rendered in the millisecond it happened is "just now", not "in a moment".
  return Math.abs(seconds) < 45
    ? seconds <= 0
      ? 'just now'
      : 'in a moment'
    : rtf.format(Math.round(seconds / 60), 'minute');
}

export const exact = (iso: string): string =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> showing `prefix` + the relative time, the exact time on hover. */
export function timeEl(iso: string | null, prefix = '', never = 'never'): HTMLElement {
  if (!iso || Number.isNaN(Date.parse(iso))) return el('span', `${prefix}${never}`);
  const t = el('time', `${prefix}${relative(iso)}`);
  t.setAttribute('datetime', iso);
  t.title = exact(iso);
  return t;
}

export const number = (n: number): string => n.toLocaleString();
export function money(n: number, currency = 'USD'): string {
  try {
    return n.toLocaleString(undefined, { style: 'currency', currency, maximumFractionDigits: 0 });
  } catch {
    return `${n.toLocaleString()} ${currency}`;
  }
}

/** A field name as a label: "duration_weeks" -> "Duration weeks". */
export const label = (key: string): string => {
  const words = key.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Keys whose numbers are amounts of money. */
export const MONEY_KEY = /budget|cost|price|amount|financial_impact|spend/i;

/** Config keys and internal names stay in the operator's log: people get what to do. */
export function explain(err: unknown): string {
  if (!(err instanceof ApiError))
    return 'The service cannot be reached. Check your connection and try again.';
  const m = err.message.replace(/\s*\([a-z_]+\.[a-z_.]+[^)]*\)/g, '');
  if (err.status === 401) return 'Your session has ended. Sign in again to continue.';
  if (err.status === 403) {
    if (/separation of duties/i.test(m))
      return 'You requested this workflow, so another person must approve it.';
    if (/already approved/i.test(m))
      return 'You have already approved this workflow; each approver counts once.';
    if (/role/i.test(m))
      return 'Your account may not decide workflows. Ask an administrator for the approver role.';
    return 'You are not allowed to do this.';
  }
  if (err.status === 404) return 'This workflow no longer exists.';
  if (err.status === 409) return 'Someone else decided first.';
  if (err.status === 429) return 'Too many requests right now. Wait a moment and try again.';
  if (err.status === 400 || err.status === 422) return `The request was refused: ${m}`;
  return 'Something went wrong on the server. Try again in a moment.';
}
