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
import { mapStatus, requireCredential, str } from '../status-mapping';
import type { RateLimitInfo } from '../tracker-http.client';

const FIELDS = ['summary', 'status', 'assignee', 'duedate', 'updated', 'labels'];
/** Jira's statusCategory keys -> normalised status. */
const CATEGORY: Record<string, TaskStatus> = {
  new: 'not_started',
  indeterminate: 'in_progress',
  done: 'completed',
};

interface JiraIssue {
  key: string;
  self?: string;
  fields?: {
    summary?: string;
    status?: { name?: string; statusCategory?: { key?: string } };
    assignee?: { displayName?: string; emailAddress?: string } | null;
    duedate?: string | null;
    updated?: string;
    labels?: string[];
  };
}

/**
 * Jira Cloud: POST /rest/api/3/search/jql with the project's JQL, paged by `nextPageToken` until
 * `isLast`. Incremental: the JQL narrowed with `updated >= "<last updated, minus a minute>"` (JQL
 * dates have minute precision). Basic auth with `email` + `api_token`. A fetch client rather than
 * jira.js: one endpoint, and jira.js would bring its own axios and retry handling.
 */
@Injectable()
@Connector({ kind: 'jira' })
export class JiraConnector implements TrackerConnector {
  readonly webhookService = 'jira';

  sourceId(): string {
    return 'jira';
  }

  validate(settings: Record<string, unknown>): string | null {
    if (typeof settings.jql !== 'string' || !settings.jql.trim()) return 'jira.jql must be a JQL query';
    if (settings.jql.length > 2000) return 'jira.jql must be at most 2000 characters';
    return null;
  }

  readonly rateLimit = (status: number, headers: Headers, _now: number): RateLimitInfo => {
    const remaining = num(headers.get('x-ratelimit-remaining'));
    const resetRaw = headers.get('x-ratelimit-reset');
    const reset = resetRaw ? Date.parse(resetRaw) : NaN;
    const retryAfter = num(headers.get('retry-after'));
    return {
      remaining,
      resetAt: Number.isFinite(reset) ? reset : null,
      retryAfterMs:
        retryAfter !== null ? retryAfter * 1000 : status === 429 && !Number.isFinite(reset) ? 5_000 : null,
      limited: status === 429,
    };
  };

  async sync(ctx: SyncContext): Promise<SyncOutcome> {
    // `url` and `username` are the reference implementation's names for the same settings.
    const creds = {
      ...ctx.credentials,
      base_url: ctx.credentials.base_url ?? ctx.credentials.url,
      email: ctx.credentials.email ?? ctx.credentials.username,
    };
    const base = requireCredential(creds, 'jira', 'base_url').replace(/\/+$/, '');
    const email = requireCredential(creds, 'jira', 'email');
    const token = requireCredential(ctx.credentials, 'jira', 'api_token');
    const userJql = String(ctx.source.settings.jql).replace(/\s+ORDER\s+BY\s+.*$/i, '');
    const since = str(ctx.cursor?.since);
    const jql = since
      ? `(${userJql}) AND updated >= "${jqlDate(since)}" ORDER BY updated ASC`
      : `(${userJql}) ORDER BY updated ASC`;
    const headers = {
      authorization: `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`,
      accept: 'application/json',
      'content-type': 'application/json',
    };
    const upserts: NormalisedTask[] = [];
    let latest = since;
    let nextPageToken: string | undefined;
    do {
      const res = await ctx.http.request<{ issues?: JiraIssue[]; nextPageToken?: string; isLast?: boolean }>(
        `${base}/rest/api/3/search/jql`,
        {
          method: 'POST',
          headers,
          body: JSON.stringify({ jql, maxResults: 100, fields: FIELDS, nextPageToken }),
        },
      );
      for (const issue of res.body?.issues ?? []) {
        const task = toTask(base, issue, ctx.statusMap);
        upserts.push(task);
        if (!latest || Date.parse(task.updated_at) > Date.parse(latest)) latest = task.updated_at;
      }
      nextPageToken =
        res.body?.isLast === false || (res.body?.isLast === undefined && res.body?.nextPageToken)
          ? res.body?.nextPageToken
          : undefined;
    } while (nextPageToken);
    return { upserts, deletions: [], cursor: { since: latest } };
  }

  fromWebhook(event: string | null, payload: unknown): WebhookChange | null {
    const p = payload as { webhookEvent?: string; issue?: JiraIssue };
    const kind = p.webhookEvent ?? event;
    if (!kind?.startsWith('jira:issue_') || !p.issue?.key) return null;
    const issue = p.issue;
    const projectKey = issue.key.split('-')[0];
    // JQL can't be evaluated here: a Jira source takes the deliveries of the projects its JQL names.
    const matches = (s: ProjectSource) =>
      s.kind === 'jira' &&
      new RegExp(`\\bproject\\s*(=|in\\s*\\([^)]*)\\s*"?${escape(projectKey)}\\b`, 'i').test(
        String(s.settings.jql),
      );
    if (kind === 'jira:issue_deleted') return { matches, deleteId: issue.key };
    const base = issue.self ? new URL(issue.self).origin : '';
    return { matches, task: (_s, map) => toTask(base, issue, map) };
  }
}

function toTask(base: string, issue: JiraIssue, statusMap: StatusMap): NormalisedTask {
  const f = issue.fields ?? {};
  const name = f.status?.name ?? null;
  const category = f.status?.statusCategory?.key ?? null;
  const fallback: TaskStatus =
    name && /blocked/i.test(name) ? 'blocked' : (CATEGORY[category ?? ''] ?? 'not_started');
  return {
    source: 'jira',
    external_id: issue.key,
    title: f.summary ?? issue.key,
    status: mapStatus(statusMap, [name, category], fallback),
    assignee: f.assignee?.displayName ?? null,
    due: f.duedate ?? null,
    url: base ? `${base}/browse/${issue.key}` : null,
    updated_at: f.updated ? new Date(Date.parse(f.updated)).toISOString() : new Date(0).toISOString(),
    labels: f.labels ?? [],
  };
}

/** "yyyy/MM/dd HH:mm" in UTC, one minute early (JQL compares to the minute). */
function jqlDate(iso: string): string {
  const d = new Date(Date.parse(iso) - 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const num = (v: string | null): number | null =>
  v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
