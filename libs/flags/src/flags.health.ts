import { Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { FlagsService } from './flags.service';

/**
 * `feature_flags`: degraded while `features.flags_file` cannot be served (unreadable, not JSON, an
 * invalid definition), naming the file and the problem; the last good definitions keep serving, so
 * readiness is not affected. Healthy again once the file is fixed.
 */
@Injectable()
@HealthIndicatorProvider({ name: 'feature_flags', readiness: false })
export class FlagsHealthIndicator implements HealthContributor {
  constructor(private readonly flags: FlagsService) {}

  check(): HealthIndicatorResult {
    const { file, problem, count } = this.flags.fileState();
    if (problem) return { status: 'degraded', reason: problem, file, flags: count };
    return { status: 'healthy', file, flags: count };
  }
}
