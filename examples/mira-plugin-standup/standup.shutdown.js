const { Inject, Injectable, Logger } = require('@nestjs/common');
const { ShutdownHook } = require('@mira/shutdown');
const { StandupStats } = require('./standup.stats');

// Priority 25 (medium: caches, temporary files) runs after intake has stopped and connections
// are closed; a real plugin would flush what it buffered here.
class StandupShutdownHook {
  constructor(stats) {
    this.stats = stats;
    this.logger = new Logger('StandupPlugin');
  }

  onShutdown(context) {
    this.logger.log(`Standup plugin stopped (${context.reason}) after ${this.stats.summaries} summaries`);
  }
}
ShutdownHook({ name: 'standup', priority: 25 })(StandupShutdownHook);
Injectable()(StandupShutdownHook);
Inject(StandupStats)(StandupShutdownHook, undefined, 0);

module.exports = { StandupShutdownHook };
