import { FakeTracker, type Answer, type SeenRequest } from './fake-tracker';

export interface FakeJiraIssue {
  key: string;
  summary: string;
  /** Jira status name and its category key (new | indeterminate | done). */
  status: string;
  category: 'new' | 'indeterminate' | 'done';
  updated: string;
  assignee?: string | null;
  duedate?: string | null;
  labels?: string[];
}

/** Fresh copies of the OPS project's five issues (one per status category and a custom status). */
export function opsIssues(): FakeJiraIssue[] {
  return [
    { key: 'OPS-1', summary: 'Plan', status: 'Done', category: 'done', updated: '2026-12-01T10:00:00.000Z' },
    {
      key: 'OPS-2',
      summary: 'Build',
      status: 'In Progress',
      category: 'indeterminate',
      updated: '2026-12-02T10:00:00.000Z',
    },
    {
      key: 'OPS-3',
      summary: 'Wait on vendor',
      status: 'Blocked',
      category: 'indeterminate',
      updated: '2026-12-03T10:00:00.000Z',
    },
    {
      key: 'OPS-4',
      summary: 'Ship',
      status: 'To Do',
      category: 'new',
      updated: '2026-12-04T10:00:00.000Z',
      duedate: '2026-12-24',
    },
    {
      key: 'OPS-5',
      summary: 'Review',
      status: 'QA',
      category: 'indeterminate',
      updated: '2026-12-05T10:00:00.000Z',
    },
  ];
}

/**
 * Jira Cloud REST v3 as documented: POST /rest/api/3/search/jql `{ jql, maxResults, fields,
 * nextPageToken }` answered `{ issues, nextPageToken?, isLast }`; Basic auth (email:api_token);
 * 429 with Retry-After when rate limited. The JQL understood here: `updated >= "yyyy/MM/dd HH:mm"`
 * (UTC) on top of any project clause, which is all the connector adds.
 */
export class FakeJira {
  readonly issues = new Map<string, FakeJiraIssue>();
  pageSize = 2;
  /** Answer the next n searches 429 with this Retry-After (seconds). */
  throttle: { count: number; retryAfter: number } | null = null;
  readonly tracker: FakeTracker;

  constructor(
    private readonly email: string,
    private readonly token: string,
  ) {
    this.tracker = new FakeTracker((req) => this.route(req));
  }

  get url(): string {
    return this.tracker.url;
  }

  put(issue: FakeJiraIssue): void {
    this.issues.set(issue.key, issue);
  }

  searches(): { jql: string; nextPageToken?: string }[] {
    return this.tracker.requests
      .filter((r) => r.path === '/rest/api/3/search/jql')
      .map((r) => JSON.parse(r.body));
  }

  private route(req: SeenRequest): Answer | null {
    const expected = `Basic ${Buffer.from(`${this.email}:${this.token}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return { status: 401, body: { errorMessages: ['You are not authenticated.'], errors: {} } };
    if (req.path !== '/rest/api/3/search/jql' || req.method !== 'POST') return null;
    if (this.throttle && this.throttle.count > 0) {
      this.throttle.count--;
      return {
        status: 429,
        headers: { 'retry-after': String(this.throttle.retryAfter) },
        body: { errorMessages: ['Rate limit exceeded.'] },
      };
    }
    const { jql, nextPageToken, maxResults } = JSON.parse(req.body) as {
      jql: string;
      nextPageToken?: string;
      maxResults?: number;
    };
    const m = /updated\s*>=\s*"(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})"/.exec(jql);
    const since = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`) : null;
    const all = [...this.issues.values()]
      .filter((i) => since === null || Date.parse(i.updated) >= since)
      .sort((a, b) => Date.parse(a.updated) - Date.parse(b.updated));
    const size = Math.min(maxResults ?? 50, this.pageSize);
    const offset = nextPageToken ? Number(Buffer.from(nextPageToken, 'base64url').toString()) : 0;
    const page = all.slice(offset, offset + size);
    const isLast = offset + size >= all.length;
    return {
      status: 200,
      headers: { 'x-ratelimit-remaining': '99' },
      body: {
        issues: page.map((i) => ({
          id: String(10000 + Number(i.key.split('-')[1])),
          key: i.key,
          self: `${this.url}/rest/api/3/issue/${i.key}`,
          fields: {
            summary: i.summary,
            status: { name: i.status, statusCategory: { key: i.category } },
            assignee: i.assignee ? { displayName: i.assignee } : null,
            duedate: i.duedate ?? null,
            updated: i.updated.replace('Z', '+0000'),
            labels: i.labels ?? [],
          },
        })),
        ...(isLast ? {} : { nextPageToken: Buffer.from(String(offset + size)).toString('base64url') }),
        isLast,
      },
    };
  }
}
