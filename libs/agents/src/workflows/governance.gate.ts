import { Injectable, Logger } from '@nestjs/common';
import { OrchestratorService } from '../orchestrator/orchestrator.service';

export interface GovernanceVerdict {
  assessment: Record<string, unknown> | null;
  riskLevel: string;
  requiresValidation: boolean;
  reasons: string[];
}

/**
 * Asks the governance agent whether a person must decide on a new workflow. Fails closed: without
 * an assessment the workflow is held, at high risk.
 */
@Injectable()
export class GovernanceGate {
  // The engine's context, as before the gate existed: log queries keep finding these lines.
  private readonly logger = new Logger('WorkflowEngine');

  constructor(private readonly orchestrator: OrchestratorService) {}

  async assess(workflowId: string, governanceData: Record<string, unknown>): Promise<GovernanceVerdict> {
    let why: string;
    try {
      const { response } = await this.orchestrator.route({
        type: 'assess_governance',
        data: { ...governanceData, workflow_id: workflowId },
      });
      if (response.status === 'success') {
        const g = response.data as Record<string, unknown>;
        return {
          assessment: g,
          riskLevel: String(g.risk_level),
          requiresValidation: g.requires_human_validation === true,
          reasons: Array.isArray(g.reasons) ? g.reasons.map(String) : [],
        };
      }
      why = response.error ?? 'no assessment';
    } catch (err) {
      why = (err as Error).message;
    }
    const reason = `Governance assessment unavailable: ${why}`;
    this.logger.error(`Workflow ${workflowId}: ${reason}; holding it for approval`);
    return { assessment: null, riskLevel: 'high', requiresValidation: true, reasons: [reason] };
  }
}
