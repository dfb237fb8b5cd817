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

export const TRELLO_API = 'https://api.trello.com';
const CARD_FIELDS = 'name,idList,closed,due,dueComplete,dateLastActivity,shortUrl,labels,idMembers';
const CARD_ACTIONS = 'createCard,updateCard,deleteCard';

interface TrelloCard {
  id: string;
  name?: string;
  idList?: string;
  closed?: boolean;
  due?: string | null;
  dueComplete?: boolean;
  dateLastActivity?: string;
  shortUrl?: string;
  labels?: { name?: string }[];
  members?: { username?: string }[];
}
interface TrelloAction {
  id: string;
  type: string;
  date: string;
  data?: {
    card?: TrelloCard;
    board?: { id?: string; shortLink?: string };
    list?: { name?: string };
    listAfter?: { name?: string };
  };
}

/**
 * Trello: the cards of one board, their status from the list they are in (`lists_done`,
 * `lists_in_progress`, `lists_blocked` by list name, else by usual names). Incremental: the board's
 * card actions `since` the last one seen, then only those cards. The key and token go in the
 * `Authorization: OAuth ...` header, never in a URL (URLs end up in logs).
 */
@Injectable()
@Connector({ kind: 'trello' })
export class TrelloConnector implements TrackerConnector {
  readonly webhookService = 'trello';

  sourceId(source: ProjectSource): string {
    return `trello:${String(source.settings.board)}`;
  }

  validate(settings: Record<string, unknown>): string | null {
    if (typeof settings.board !== 'string' || !/^[A-Za-z0-9]{8,32}$/.test(settings.board))
      return 'trello.board must be a board id or short link';
    for (const k of ['lists_done', 'lists_in_progress', 'lists_blocked'])
      if (
        settings[k] !== undefined &&
        !(Array.isArray(settings[k]) && settings[k].every((x) => typeof x === 'string'))
      )
        return `trello.${k} must be a list of list names`;
    return null;
  }

  readonly rateLimit = (status: number, headers: Headers, now: number): RateLimitInfo => {
    const remaining = num(headers.get('x-rate-limit-api-token-remaining'));
    const interval = num(headers.get('x-rate-limit-api-token-interval-ms'));
    const retryAfter = num(headers.get('retry-after'));
    return {
      remaining,
      resetAt: remaining === 0 && interval !== null ? now + interval : null,
      retryAfterMs: retryAfter !== null ? retryAfter * 1000 : status === 429 ? (interval ?? 10_000) : null,
      limited: status === 429,
    };
  };

  async sync(ctx: SyncContext): Promise<SyncOutcome> {
    const base = (str(ctx.credentials.base_url) ?? TRELLO_API).replace(/\/+$/, '');
    const key = requireCredential(ctx.credentials, 'trello', 'key');
    const token = requireCredential(ctx.credentials, 'trello', 'token');
    const board = encodeURIComponent(String(ctx.source.settings.board));
    const init = {
      headers: {
        accept: 'application/json',
        authorization: `OAuth oauth_consumer_key="${key}", oauth_token="${token}"`,
      },
    };
    const get = async <T>(path: string) => (await ctx.http.request<T>(`${base}/1${path}`, init)).body;

    const lists = await get<{ id: string; name: string }[]>(`/boards/${board}/lists?fields=name&filter=all`);
    const listNames = new Map((lists ?? []).map((l) => [l.id, l.name]));
    const since = str(ctx.cursor?.since);
    const actions = await get<TrelloAction[]>(
      `/boards/${board}/actions?filter=${CARD_ACTIONS}&limit=${since ? `1000&since=${encodeURIComponent(since)}` : '1'}`,
    );
    const latest = (actions ?? []).reduce<string | null>((m, a) => (!m || a.date > m ? a.date : m), since);
    // No card action yet: the next sync is a full one again.
    const cursor = { since: latest };
    const toTaskHere = (c: TrelloCard) =>
      toTask(this.sourceId(ctx.source), c, listNames.get(c.idList ?? '') ?? null, ctx.source, ctx.statusMap);

    if (!since) {
      const cards = await get<TrelloCard[]>(
        `/boards/${board}/cards/all?fields=${CARD_FIELDS}&members=true&member_fields=username`,
      );
      return { upserts: (cards ?? []).map(toTaskHere), deletions: [], cursor };
    }
    const changed = new Set<string>();
    const deleted = new Set<string>();
    for (const a of actions ?? []) {
      const id = a.data?.card?.id;
      if (!id) continue;
      if (a.type === 'deleteCard') deleted.add(id);
      else changed.add(id);
    }
    const upserts: NormalisedTask[] = [];
    for (const id of changed) {
      if (deleted.has(id)) continue;
      const card = await get<TrelloCard>(
        `/cards/${encodeURIComponent(id)}?fields=${CARD_FIELDS}&members=true&member_fields=username`,
      );
      if (card) upserts.push(toTaskHere(card));
    }
    return { upserts, deletions: [...deleted], cursor };
  }

  fromWebhook(event: string | null, payload: unknown): WebhookChange | null {
    const action = (payload as { action?: TrelloAction })?.action;
    const type = action?.type ?? event;
    const card = action?.data?.card;
    if (!action || !card?.id || !['createCard', 'updateCard', 'deleteCard'].includes(type ?? '')) return null;
    const board = action.data?.board;
    const matches = (s: ProjectSource) =>
      s.kind === 'trello' && (s.settings.board === board?.id || s.settings.board === board?.shortLink);
    if (type === 'deleteCard') return { matches, deleteId: card.id };
    const listName = action.data?.listAfter?.name ?? action.data?.list?.name ?? null;
    return {
      matches,
      task: (s, map) =>
        toTask(this.sourceId(s), { ...card, dateLastActivity: action.date }, listName, s, map),
    };
  }
}

function toTask(
  source: string,
  card: TrelloCard,
  list: string | null,
  src: ProjectSource,
  statusMap: StatusMap,
): NormalisedTask {
  const named = (k: string) => ((src.settings[k] as string[] | undefined) ?? []).map((x) => x.toLowerCase());
  const l = list?.toLowerCase() ?? '';
  let fallback: TaskStatus = 'not_started';
  if (
    card.dueComplete ||
    named('lists_done').includes(l) ||
    (!named('lists_done').length && /\b(done|complete|completed|shipped)\b/.test(l))
  )
    fallback = 'completed';
  else if (named('lists_blocked').includes(l) || /\bblocked\b/.test(l)) fallback = 'blocked';
  else if (
    named('lists_in_progress').includes(l) ||
    (!named('lists_in_progress').length && /\b(doing|in progress|review)\b/.test(l))
  )
    fallback = 'in_progress';
  const labels = (card.labels ?? []).map((x) => x.name ?? '').filter(Boolean);
  return {
    source,
    external_id: card.id,
    title: card.name ?? card.id,
    status: mapStatus(statusMap, [list, ...labels], fallback),
    assignee: card.members?.[0]?.username ?? null,
    due: card.due ?? null,
    url: card.shortUrl ?? null,
    updated_at: card.dateLastActivity ?? new Date(0).toISOString(),
    labels,
  };
}

const num = (v: string | null): number | null =>
  v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
