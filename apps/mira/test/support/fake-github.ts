import { createHash } from 'node:crypto';
import { FakeTracker, type Answer, type SeenRequest } from './fake-tracker';

export interface FakeIssue {
  number: number;
  title: string;
  state: 'open' | 'closed';
  updated_at: string;
  labels?: string[];
  assignee?: string | null;
  pull?: { merged: boolean; draft?: boolean };
  milestone_due?: string | null;
}

/** Fresh copies of acme/api's first two issues: one closed, one open and assigned. */
export function firstApiIssues(): FakeIssue[] {
  return [
    { number: 1, title: 'Design API', state: 'closed', updated_at: '2026-12-01T10:00:00Z' },
    { number: 2, title: 'Build API', state: 'open', updated_at: '2026-12-02T10:00:00Z', assignee: 'ana' },
  ];
}

/**
 * GitHub REST as documented: GET /repos/{owner}/{repo}/issues (issues and pull requests) with
 * `state`, `since` (updated at or after), `per_page`/`page`, a `Link` header with rel="next" and
 * rel="last", a weak `ETag` and `If-None-Match` -> 304 (not counted against the limit), and
 * `x-ratelimit-limit/-remaining/-reset` (reset in epoch seconds), 403 once exhausted.
 */
export class FakeGithub {
  readonly issues = new Map<number, FakeIssue>();
  /** Server-side page size cap, small so paging shows with a few issues. */
  pageSize = 2;
  limit = 5000;
  remaining = 5000;
  /** Epoch seconds when `remaining` returns to `limit`. */
  resetAt = 0;
  /** Where the Link header points (default: this server), to play a hostile or broken API. */
  linkBase: string | null = null;
  readonly tracker: FakeTracker;

  constructor(
    private readonly repo: string,
    private readonly token: string,
    /** The test's clock (ms), so a reset "an hour away" passes when the test's sleeper sleeps. */
    private readonly now: () => number = Date.now,
  ) {
    this.tracker = new FakeTracker((req) => this.route(req));
    this.resetAt = Math.floor(now() / 1000) + 3600;
  }

  get url(): string {
    return this.tracker.url;
  }

  put(issue: FakeIssue): void {
    this.issues.set(issue.number, issue);
  }

  /** Requests for the issue list (not counting 304s separately). */
  listRequests(): SeenRequest[] {
    return this.tracker.requests.filter((r) => r.path === `/repos/${this.repo}/issues`);
  }

  private route(req: SeenRequest): Answer | null {
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
      };
    if (this.now() >= this.resetAt * 1000) {
      this.remaining = this.limit;
      this.resetAt = Math.floor(this.now() / 1000) + 3600;
    }
    const rate = () => ({
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-resource': 'core',
    });
    if (this.remaining <= 0)
      return { status: 403, headers: rate(), body: { message: 'API rate limit exceeded for user.' } };
    if (req.path !== `/repos/${this.repo}/issues`) return null;

    const since = req.query.get('since');
    const perPage = Math.min(Number(req.query.get('per_page') ?? 30), this.pageSize);
    const page = Number(req.query.get('page') ?? 1);
    const labels = req.query.get('labels')?.split(',') ?? [];
    const all = [...this.issues.values()]
      .filter((i) => !since || i.updated_at >= since)
      .filter((i) => labels.every((l) => i.labels?.includes(l)))
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.number - b.number);
    const slice = all.slice((page - 1) * perPage, page * perPage).map((i) => this.wire(i));
    const etag = `W/"${createHash('sha256').update(JSON.stringify(slice)).digest('hex').slice(0, 32)}"`;
    if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag, ...rate() } };
    this.remaining--;
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      return `<${this.linkBase ?? this.url}${req.path}?${q.toString()}>`;
    };
    const links: string[] = [];
    if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) links.push(`${link(page - 1)}; rel="prev"`, `${link(1)}; rel="first"`);
    return {
      status: 200,
      headers: { etag, ...rate(), ...(links.length ? { link: links.join(', ') } : {}) },
      body: slice,
    };
  }

  private wire(i: FakeIssue) {
    const [owner] = this.repo.split('/');
    return {
      id: 1000 + i.number,
      number: i.number,
      title: i.title,
      state: i.state,
      html_url: `https://github.com/${this.repo}/${i.pull ? 'pull' : 'issues'}/${i.number}`,
      updated_at: i.updated_at,
      labels: (i.labels ?? []).map((name) => ({ name })),
      assignee: i.assignee ? { login: i.assignee } : null,
      user: { login: owner },
      milestone: i.milestone_due ? { number: 1, title: 'v1', due_on: i.milestone_due } : null,
      ...(i.pull
        ? { draft: i.pull.draft ?? false, pull_request: { merged_at: i.pull.merged ? i.updated_at : null } }
        : {}),
    };
  }
}
