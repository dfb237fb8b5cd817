const { Injectable } = require('@nestjs/common');

// What the agent has done, shared with the health indicator and the shutdown hook.
class StandupStats {
  constructor() {
    this.summaries = 0;
    this.lastSummaryAt = null;
  }

  recordSummary() {
    this.summaries += 1;
    this.lastSummaryAt = new Date().toISOString();
  }
}
Injectable()(StandupStats);

module.exports = { StandupStats };
