// `zod` is the running service's own copy (Mira resolves it for plugins), so these schemas both
// validate the agent's input and appear in the service's OpenAPI document.
const { z } = require('zod');

const standupUpdateSchema = z.object({
  person: z.string().min(1).max(200),
  yesterday: z.string().max(2000).default(''),
  today: z.string().max(2000).default(''),
  blockers: z.array(z.string().min(1).max(500)).max(20).default([]),
});

const standupSummaryInput = z.object({
  team: z.string().min(1).max(200).default('team'),
  updates: z.array(standupUpdateSchema).max(500).default([]),
});

const standupSummaryOutput = z.object({
  team: z.string(),
  people: z.number().int(),
  summary: z.string(),
  blockers: z.array(z.object({ person: z.string(), blocker: z.string() })),
  blockers_omitted: z.number().int(),
  summarized_by: z.string(),
});

const standupSummaryExample = {
  team: 'Platform',
  updates: [
    { person: 'Ada', yesterday: 'Reviewed the API', today: 'Ship the release', blockers: [] },
    { person: 'Linus', today: 'Fix the build', blockers: ['Waiting for CI credentials'] },
  ],
};

module.exports = { standupSummaryInput, standupSummaryOutput, standupSummaryExample };
