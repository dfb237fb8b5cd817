const { Inject, Injectable } = require('@nestjs/common');
const { Agent, BaseAgent, parseInput } = require('@mira/agents');
const { ConfigStore } = require('@mira/config');
const { standupSettings } = require('./standup.settings');
const { StandupStats } = require('./standup.stats');
const { standupSummaryExample, standupSummaryInput, standupSummaryOutput } = require('./standup.schemas');

const STANDUP_AGENT_ID = 'standup_agent';
const STANDUP_SUMMARY = 'standup_summary';

// Plain JavaScript has no decorator syntax: Nest's decorators are applied as functions below.
class StandupAgent extends BaseAgent {
  constructor(config, stats) {
    super();
    this.config = config;
    this.stats = stats;
    this.handlers = { [STANDUP_SUMMARY]: (data) => this.summarize(data) };
  }

  summarize(data) {
    const input = parseInput(standupSummaryInput, data, STANDUP_SUMMARY);
    const { max_blockers: maxBlockers } = standupSettings(this.config);
    const blockers = input.updates.flatMap((u) =>
      u.blockers.map((blocker) => ({ person: u.person, blocker })),
    );
    this.stats.recordSummary();
    return {
      team: input.team,
      people: input.updates.length,
      summary: `${input.team}: ${input.updates.length} updates, ${blockers.length} blockers`,
      blockers: blockers.slice(0, maxBlockers),
      blockers_omitted: Math.max(0, blockers.length - maxBlockers),
      summarized_by: this.id,
    };
  }
}
Agent({
  id: STANDUP_AGENT_ID,
  messageTypes: [STANDUP_SUMMARY],
  description: "Summarizes a team's stand-up updates and lists the blockers",
  schemas: {
    [STANDUP_SUMMARY]: {
      input: standupSummaryInput,
      output: standupSummaryOutput,
      example: standupSummaryExample,
      summary: "Summarize a team's stand-up",
    },
  },
})(StandupAgent);
Injectable()(StandupAgent);
Inject(ConfigStore)(StandupAgent, undefined, 0);
Inject(StandupStats)(StandupAgent, undefined, 1);

module.exports = { StandupAgent, STANDUP_AGENT_ID, STANDUP_SUMMARY };
