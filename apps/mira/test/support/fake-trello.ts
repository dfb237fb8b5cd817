import { FakeTracker, type Answer, type SeenRequest } from './fake-tracker';

export interface FakeCard {
  id: string;
  name: string;
  idList: string;
  dateLastActivity: string;
  due?: string | null;
  dueComplete?: boolean;
  closed?: boolean;
}

/**
 * Trello REST v1 as documented: GET /1/boards/{id}/lists, /1/boards/{id}/cards/all,
 * /1/boards/{id}/actions?filter=...&since=<date>&limit=, /1/cards/{id}; auth by `key`/`token`
 * (here the `Authorization: OAuth oauth_consumer_key=..., oauth_token=...` form); 429 with the
 * x-rate-limit-api-token-* headers when over the limit.
 */
export class FakeTrello {
  readonly lists = new Map<string, string>();
  readonly cards = new Map<string, FakeCard>();
  readonly actions: { id: string; type: string; date: string; data: { card: { id: string } } }[] = [];
  throttle = 0;
  readonly tracker: FakeTracker;

  constructor(
    readonly board: string,
    private readonly key: string,
    private readonly token: string,
  ) {
    this.tracker = new FakeTracker((req) => this.route(req));
  }

  get url(): string {
    return this.tracker.url;
  }

  put(
    card: FakeCard,
    type: 'createCard' | 'updateCard' = this.cards.has(card.id) ? 'updateCard' : 'createCard',
  ): void {
    this.cards.set(card.id, card);
    this.actions.push({
      id: `a${this.actions.length + 1}`,
      type,
      date: card.dateLastActivity,
      data: { card: { id: card.id } },
    });
  }

  cardFetches(): SeenRequest[] {
    return this.tracker.requests.filter(
      (r) => r.path.startsWith('/1/cards/') || r.path.endsWith('/cards/all'),
    );
  }

  private route(req: SeenRequest): Answer | null {
    if (req.headers.authorization !== `OAuth oauth_consumer_key="${this.key}", oauth_token="${this.token}"`)
      return { status: 401, body: 'invalid key' };
    if (this.throttle > 0) {
      this.throttle--;
      return {
        status: 429,
        headers: { 'x-rate-limit-api-token-interval-ms': '10000', 'x-rate-limit-api-token-remaining': '0' },
        body: { error: 'API_TOKEN_LIMIT_EXCEEDED', message: 'Rate limit exceeded' },
      };
    }
    const headers = {
      'x-rate-limit-api-token-interval-ms': '10000',
      'x-rate-limit-api-token-remaining': '99',
    };
    const b = `/1/boards/${this.board}`;
    const wire = (c: FakeCard) => ({
      ...c,
      shortUrl: `https://trello.com/c/${c.id}`,
      labels: [],
      members: [],
    });
    if (req.path === `${b}/lists`)
      return { status: 200, headers, body: [...this.lists].map(([id, name]) => ({ id, name })) };
    if (req.path === `${b}/cards/all`)
      return { status: 200, headers, body: [...this.cards.values()].map(wire) };
    if (req.path === `${b}/actions`) {
      const since = req.query.get('since');
      const limit = Number(req.query.get('limit') ?? 50);
      const types = (req.query.get('filter') ?? '').split(',');
      // Newest first, as Trello answers.
      const list = this.actions
        .filter((a) => types.includes(a.type) && (!since || a.date > since))
        .sort((x, y) => y.date.localeCompare(x.date))
        .slice(0, limit);
      return { status: 200, headers, body: list };
    }
    const card = /^\/1\/cards\/([^/]+)$/.exec(req.path);
    if (card) {
      const c = this.cards.get(card[1]);
      return c
        ? { status: 200, headers, body: wire(c) }
        : { status: 404, body: 'The requested resource was not found.' };
    }
    return null;
  }
}
