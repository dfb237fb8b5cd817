const { Inject, Injectable } = require('@nestjs/common');
const { HealthIndicatorProvider } = require('@mira/health');
const { StandupStats } = require('./standup.stats');

// Appears as `checks.standup` on /healthz. It depends on nothing external, so it reports its
// counters; a plugin talking to a remote service would report that service's state here.
class StandupHealthIndicator {
  constructor(stats) {
    this.stats = stats;
  }

  check() {
    return { status: 'healthy', summaries: this.stats.summaries, last_summary_at: this.stats.lastSummaryAt };
  }
}
HealthIndicatorProvider({ name: 'standup', readiness: false })(StandupHealthIndicator);
Injectable()(StandupHealthIndicator);
Inject(StandupStats)(StandupHealthIndicator, undefined, 0);

module.exports = { StandupHealthIndicator };
