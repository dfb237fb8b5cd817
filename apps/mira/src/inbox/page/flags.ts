// The page's own UI flags, read from this service's OFREP bulk endpoint (POST
// /ofrep/v1/evaluate/flags) with the session's CSRF token, as the page's other calls go. A flag
// that is missing, of another type, or an OFREP call that fails leaves the safe default: the page
// works as it did before the flags existed.
import { state } from './api.js';

export interface UiFlags {
  /** inbox.live_updates: follow the event stream (true) or poll every 10 s only (false). */
  live_updates: boolean;
  /** inbox.show_raw_json: offer the "Show JSON" view of a workflow's input. */
  show_raw_json: boolean;
}

export const UI_FLAG_DEFAULTS: Readonly<UiFlags> = { live_updates: true, show_raw_json: true };

const KEYS: Record<keyof UiFlags, string> = {
  live_updates: 'inbox.live_updates',
  show_raw_json: 'inbox.show_raw_json',
};

interface OfrepItem {
  key?: string;
  value?: unknown;
  errorCode?: string;
}

export async function loadUiFlags(): Promise<UiFlags> {
  const flags: UiFlags = { ...UI_FLAG_DEFAULTS };
  if (!state.session) return flags;
  try {
    const res = await fetch('/ofrep/v1/evaluate/flags', {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'x-csrf-token': state.session.csrf_token,
      },
      credentials: 'same-origin',
      // The reviewer's stable id keys percentage rollouts; roles come from the session server-side.
      body: JSON.stringify({ context: state.session.id ? { targetingKey: state.session.id } : {} }),
    });
    if (!res.ok) return flags;
    const body = (await res.json()) as { flags?: OfrepItem[] };
    const items = Array.isArray(body.flags) ? body.flags : [];
    for (const name of Object.keys(KEYS) as (keyof UiFlags)[]) {
      const item = items.find((i) => i.key === KEYS[name]);
      if (item && !item.errorCode && typeof item.value === 'boolean') flags[name] = item.value;
    }
  } catch {
    // OFREP unreachable or not JSON: the defaults stand.
  }
  return flags;
}
