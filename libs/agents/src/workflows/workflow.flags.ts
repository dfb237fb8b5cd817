import { Injectable, Optional } from '@nestjs/common';
import { FlagsService } from '@mira/flags';
import type { WorkflowDefinition, WorkflowStepFlag, WorkflowStepFlagValue } from './workflow.interface';

/** Who a workflow's flags are evaluated for: background work targets its workflow id. */
export interface FlaggedRun {
  workflow_id: string;
  workflow_type: string;
}

/**
 * The flags a workflow's steps ask (WorkflowStepDefinition.flag), pinned on the record: a variant
 * chosen when the run is created (or first claimed) is the one every later run of it uses, so a
 * workflow approved after the flag moved, or taken over after a crash, does not switch midway.
 */
@Injectable()
export class WorkflowFlags {
  constructor(@Optional() private readonly flags?: FlagsService) {}

  /** `pinned` plus a fresh variant for each flagged step that has none yet (defined flags only). */
  pin(
    definition: WorkflowDefinition,
    run: FlaggedRun,
    pinned: Readonly<Record<string, string>>,
  ): Record<string, string> {
    const out = { ...pinned };
    for (const { flag } of definition.steps) {
      if (!flag || out[flag.key] !== undefined) continue;
      const choice = this.forStep(flag, run, undefined);
      if (choice.variant !== undefined) out[flag.key] = choice.variant;
    }
    return out;
  }

  /**
   * Before a step runs: the value of its flag under the pinned variant, or a fresh evaluation when
   * none is pinned or the pinned variant no longer exists in the definition.
   */
  forStep(flag: WorkflowStepFlag, run: FlaggedRun, pinned: string | undefined): WorkflowStepFlagValue {
    if (!this.flags) return { value: flag.fallback, pinned: false };
    return this.flags.variantFor(
      flag.key,
      flag.fallback,
      { targetingKey: run.workflow_id, workflow_type: run.workflow_type },
      pinned ?? null,
    );
  }
}
