import { Injectable } from '@nestjs/common';
import { AgentRegistry, OrchestratorService, WorkflowEngine, workflowView } from '@mira/agents';
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
    private readonly registry: AgentRegistry,
  ) {}

  async run(schedule: ScheduleRecord, run: ScheduleRun): Promise<RunOutcome> {
    const target = schedule.target;
    if ('workflow_type' in target) {
      // The kill switch holds for scheduled runs too. (Checked by each caller of engine.submit
      // today; the engine would be the one place that cannot be missed.)
      if (!this.registry.isWorkflowEnabled(target.workflow_type))
        return {
          status: 'failed',
          error: `Workflow type ${target.workflow_type} is turned off (flag workflow.${target.workflow_type}.enabled)`,
        };
      const { record } = await this.engine.submit(
        {
          workflow_type: target.workflow_type,
          data: target.data,
          governance_data: target.governance_data,
        } as never,
        { actor: run.requested_by ?? schedule.owner, idempotencyKey: `schedule-run:${run.id}` },
      );
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
