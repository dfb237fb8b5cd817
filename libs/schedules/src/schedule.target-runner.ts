import { Injectable } from '@nestjs/common';
import { OrchestratorService, WorkflowDisabledError, WorkflowEngine, workflowView } from '@mira/agents';
import type { RunOutcome, ScheduleRecord, ScheduleRun, ScheduleTargetRunner } from './schedules.interface';

/**
 * Runs a schedule's target as the one who triggered the run, else its owner: a workflow through the engine (requested by the owner,
 * so governance and separation of duties apply; idempotent on the run id, so a run taken over
 * after a crash finds the same workflow), or a message routed to its agent.
 */
@Injectable()
export class AgentsScheduleRunner implements ScheduleTargetRunner {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly orchestrator: OrchestratorService,
  ) {}

  async run(schedule: ScheduleRecord, run: ScheduleRun): Promise<RunOutcome> {
    const target = schedule.target;
    if ('workflow_type' in target) {
      let record;
      try {
        ({ record } = await this.engine.submit(
          {
            workflow_type: target.workflow_type,
            data: target.data,
            governance_data: target.governance_data,
          } as never,
          { actor: run.requested_by ?? schedule.owner, idempotencyKey: `schedule-run:${run.id}` },
        ));
      } catch (err) {
        // The kill switch holds for scheduled runs too (the engine checks it on every submit).
        if (err instanceof WorkflowDisabledError) return { status: 'failed', error: err.message };
        throw err;
      }
      const view = workflowView(record);
      const status =
        record.status === 'completed'
          ? 'succeeded'
          : record.status === 'pending_approval'
            ? 'pending_approval'
            : 'failed';
      return {
        status,
        workflow_id: record.workflow_id,
        result: view,
        error: status === 'failed' ? 'the workflow failed' : null,
      };
    }
    const routed = await this.orchestrator.route({
      type: target.message.type,
      data: target.message.data,
    } as never);
    return routed.ok && routed.response.status === 'success'
      ? { status: 'succeeded', result: routed.response.data }
      : { status: 'failed', result: routed.response, error: routed.response.error ?? 'the agent failed' };
  }
}
