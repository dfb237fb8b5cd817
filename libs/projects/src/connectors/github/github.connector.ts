import { Injectable } from '@nestjs/common';
import type { NormalisedTask, StatusMap, TaskStatus } from '../../task.interface';
import {
  Connector,
  type ProjectSource,
  type SyncContext,
  type SyncOutcome,
  type TrackerConnector,
  type WebhookChange,
} from '../connector.interface';
import { mapStatus, str } from '../status-mapping';
import { nextLink, sameOriginUrl, type RateLimitInfo } from '../tracker-http.client';

export const GITHUB_API = 'https://api.github.com';
// owner/name; neither part may be `.` or `..` (it would walk out of /repos/{repo}/ in the URL).
const REPO = /^(?!\.\.?\/)[A-Za-z0-9_.-]+\/(?!\.\.?$)[A-Za-z0-9_.-]+$/;

interface GithubItem {
  number: number;
  title: string;
  state: 'open' | 'closed';
  html_url?: string;
  updated_at: string;
  draft?: boolean;
  merged_at?: string | null;
  pull_request?: { merged_at?: string | null };
  assignee?: { login?: string } | null;
  labels?: ({ name?: string } | string)[];
  milestone?: { title?: string; number?: number; due_on?: string | null } | null;
}

/**
 * GitHub issues and pull requests of one repository (REST: GET /repos/{repo}/issues lists both).
 * A thin fetch client rather than Octokit: three headers and one paged GET; Octokit's throttling and
 * retry plugins are what TrackerHttpClient does, shared with the other trackers.
 * Incremental: `since=<last updated_at>` plus `If-None-Match` with the last ETag (a 304 does not
 * count against the rate limit). Paging follows the `Link: <...>; rel="next"` header.
 */
@Injectable()
@Connector({ kind: 'github' })
export class GithubConnector implements TrackerConnector {
  readonly webhookService = 'github';

  sourceId(source: ProjectSource): string {
    return `github:${String(source.settings.repo)}`;
  }

  validate(settings: Record<string, unknown>): string | null {
    if (typeof settings.repo !== 'string' || !REPO.test(settings.repo))
      return 'github.repo must be "owner/name"';
    if (settings.labels !== undefined && !isStrings(settings.labels))
      return 'github.labels must be a list of strings';
    if (settings.milestone !== undefined && !['string', 'number'].includes(typeof settings.milestone))
      return 'github.milestone must be a milestone number or "*" / "none"';
    return null;
  }

  readonly rateLimit = (status: number, headers: Headers, _now: number): RateLimitInfo => {
    const remaining = num(headers.get('x-ratelimit-remaining'));
    const reset = num(headers.get('x-ratelimit-reset'));
    const retryAfter = num(headers.get('retry-after'));
    return {
      remaining,
      resetAt: reset !== null ? reset * 1000 : null,
      retryAfterMs: retryAfter !== null ? retryAfter * 1000 : null,
      // Primary limit: 403/429 with remaining 0; secondary limit: 403/429 with retry-after.
      limited:
        (status === 403 || status === 429) && (remaining === 0 || retryAfter !== null || status === 429),
    };
  };

  async sync(ctx: SyncContext): Promise<SyncOutcome> {
    const base = (str(ctx.credentials.base_url) ?? GITHUB_API).replace(/\/+$/, '');
    const repo = String(ctx.source.settings.repo);
    const params = new URLSearchParams({ state: 'all', per_page: '100', sort: 'updated', direction: 'asc' });
    const labels = ctx.source.settings.labels as string[] | undefined;
    if (labels?.length) params.set('labels', labels.join(','));
    if (ctx.source.settings.milestone !== undefined)
      params.set('milestone', String(ctx.source.settings.milestone));
    const since = str(ctx.cursor?.since);
    if (since) params.set('since', since);
    const first = `${base}/repos/${repo}/issues?${params.toString()}`;
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'mira-projects',
    };
    const token = str(ctx.credentials.token);
    if (token) headers.authorization = `Bearer ${token}`;

    const upserts: NormalisedTask[] = [];
    let url: string | null = first;
    let etag: string | null = null;
    let latest = since;
    const boundary = new Set(Array.isArray(ctx.cursor?.boundary) ? (ctx.cursor.boundary as number[]) : []);
    while (url) {
      const conditional: Record<string, string> =
        url === first && ctx.cursor?.etag_url === first && str(ctx.cursor?.etag)
          ? { 'if-none-match': String(ctx.cursor.etag) }
          : {};
      const res = await ctx.http.request<GithubItem[]>(url, { headers: { ...headers, ...conditional } });
      if (res.status === 304) return { upserts: [], deletions: [], cursor: ctx.cursor ?? {} };
      if (url === first) etag = res.headers.get('etag');
      for (const item of Array.isArray(res.body) ? res.body : []) {
        // `since` is inclusive: what was already read at exactly that time is not news.
        if (item.updated_at === since && boundary.has(item.number)) continue;
        upserts.push(toTask(this.sourceId(ctx.source), item, ctx.statusMap));
        if (!latest || item.updated_at > latest) latest = item.updated_at;
      }
      const next = nextLink(res.headers.get('link'));
      url = next === null ? null : sameOriginUrl(next, url, base, 'github');
    }
    // The next query (with the new `since`) is a different URL: its ETag is only valid for `first`.
    const atLatest = upserts.filter((t) => t.updated_at === latest).map((t) => Number(t.external_id));
    const keep = latest === since ? [...boundary, ...atLatest] : atLatest;
    return {
      upserts,
      deletions: [],
      cursor: { since: latest, boundary: [...new Set(keep)], etag, etag_url: first },
    };
  }

  fromWebhook(event: string | null, payload: unknown): WebhookChange | null {
    if (event !== 'issues' && event !== 'pull_request') return null;
    const p = payload as {
      action?: string;
      issue?: GithubItem;
      pull_request?: GithubItem;
      repository?: { full_name?: string };
    };
    const item = event === 'issues' ? p.issue : p.pull_request;
    const repo = p.repository?.full_name;
    if (!item || typeof item.number !== 'number' || !repo) return null;
    const matches = (s: ProjectSource) =>
      s.kind === 'github' && String(s.settings.repo).toLowerCase() === repo.toLowerCase();
    if (p.action === 'deleted') return { matches, deleteId: String(item.number) };
    if (event === 'pull_request' && item.pull_request === undefined)
      item.pull_request = { merged_at: item.merged_at };
    return { matches, task: (s, map) => toTask(this.sourceId(s), item, map) };
  }
}

function toTask(source: string, item: GithubItem, statusMap: StatusMap): NormalisedTask {
  const labels = (item.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean);
  const isPr = item.pull_request !== undefined;
  const merged = Boolean(item.pull_request?.merged_at ?? item.merged_at);
  let fallback: TaskStatus = 'not_started';
  if (item.state === 'closed') fallback = 'completed';
  else if (labels.some((l) => /blocked/i.test(l))) fallback = 'blocked';
  else if (isPr || item.assignee || labels.some((l) => /in[ -]progress/i.test(l))) fallback = 'in_progress';
  const states = [...labels, merged ? 'merged' : null, isPr && item.draft ? 'draft' : null, item.state];
  return {
    source,
    external_id: String(item.number),
    title: item.title,
    status: mapStatus(statusMap, states, fallback),
    assignee: item.assignee?.login ?? null,
    due: item.milestone?.due_on ?? null,
    url: item.html_url ?? null,
    updated_at: item.updated_at,
    labels,
  };
}

const num = (v: string | null): number | null =>
  v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
