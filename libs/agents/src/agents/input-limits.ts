import { z } from 'zod';

/**
 * Bounds on agent input where the work or the answer grows with it (a plan has five strings per
 * goal). Generous for real projects, small enough that one request cannot build an answer that
 * exhausts the process: 1,000 goals of 500 characters make a plan of about 3 MB.
 */
export const AGENT_INPUT_LIMITS = {
  name_chars: 200,
  description_chars: 20_000,
  goals: 1_000,
  goal_chars: 500,
  tasks: 10_000,
  milestones: 1_000,
  risks: 1_000,
  recipients: 100,
  recipient_chars: 320,
  short_text_chars: 100,
  duration_weeks: 1_040,
} as const;

/** A string of at most `max` characters, with a message that names the limit. */
export const text = (max: number) => z.string().max(max, `at most ${max} characters`);

/** A list of at most `max` items, with a message that names the limit. */
export const list = <T extends z.ZodType>(item: T, max: number) =>
  z.array(item).max(max, `at most ${max} items`);
