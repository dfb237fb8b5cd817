import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ConfigStore } from '@mira/config';
import { Agent } from '../agent.decorator';
import { BaseAgent, parseInput } from '../base.agent';

export const GOVERNANCE_AGENT_ID = 'governance_agent';

export type RiskLevel = 'low' | 'medium' | 'high';

export const COMPLIANCE_RANK: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
const RISK_ORDER: readonly RiskLevel[] = ['low', 'medium', 'high'];

const assessSchema = z.looseObject({
  workflow_id: z.string().optional(),
  financial_impact: z.number().default(0),
  compliance_level: z.string().default('low'),
  explainability_score: z.number().default(1.0),
});

const assessmentSchema = z.object({
  financial_impact: z.number(),
  compliance_level: z.string(),
  explainability_score: z.number(),
  risk_level: z.enum(['low', 'medium', 'high']),
  requires_human_validation: z.boolean(),
  reasons: z.array(z.string()),
});
const validationSchema = z.object({
  requires_validation: z.boolean(),
  risk_level: z.enum(['low', 'medium', 'high']),
  reasons: z.array(z.string()),
});

export interface GovernanceAssessment {
  financial_impact: number;
  compliance_level: string;
  explainability_score: number;
  risk_level: RiskLevel;
  requires_human_validation: boolean;
  reasons: string[];
}

// Own keys only: a level like "constructor" must rank as unknown, not as an Object.prototype member.
function complianceRank(level: string): number | undefined {
  const key = level.toLowerCase();
  return Object.hasOwn(COMPLIANCE_RANK, key) ? COMPLIANCE_RANK[key] : undefined;
}

function atLeast(current: RiskLevel, floor: RiskLevel): RiskLevel {
  return RISK_ORDER.indexOf(current) >= RISK_ORDER.indexOf(floor) ? current : floor;
}

/** Human-in-the-loop gate. Thresholds are read from config on every call, so reloads apply at once. */
@Injectable()
@Agent({
  id: GOVERNANCE_AGENT_ID,
  messageTypes: ['assess_governance', 'check_human_validation'],
  description: 'Gates risky work for human approval',
  schemas: {
    assess_governance: {
      summary: 'Risk level and whether a person must approve, against the governance thresholds',
      input: assessSchema,
      output: assessmentSchema,
      example: { financial_impact: 50000, compliance_level: 'high', explainability_score: 0.9 },
    },
    check_human_validation: {
      summary: 'Only whether a person must approve, and why',
      input: assessSchema,
      output: validationSchema,
      example: { financial_impact: 500, compliance_level: 'low', explainability_score: 0.95 },
    },
  },
})
export class GovernanceAgent extends BaseAgent {
  protected readonly handlers = {
    assess_governance: (data: unknown) => this.assess(data, 'assess_governance'),
    check_human_validation: (data: unknown) => {
      const a = this.assess(data, 'check_human_validation');
      return {
        requires_validation: a.requires_human_validation,
        risk_level: a.risk_level,
        reasons: a.reasons,
      };
    },
  };

  constructor(private readonly config: ConfigStore) {
    super();
  }

  assess(data: unknown, type = 'assess_governance'): GovernanceAssessment {
    const input = parseInput(assessSchema, data, type);
    const t = this.config.get('governance');
    let risk: RiskLevel = 'low';
    let requires = false;
    const reasons: string[] = [];

    if (input.financial_impact > t.financial_threshold) {
      risk = 'high';
      requires = true;
      reasons.push(`Financial impact $${input.financial_impact} exceeds threshold $${t.financial_threshold}`);
    }
    const rank = complianceRank(input.compliance_level) ?? 0;
    const thresholdRank = complianceRank(t.compliance_threshold) ?? 2;
    if (rank >= thresholdRank) {
      risk = atLeast(risk, 'medium');
      if (rank >= COMPLIANCE_RANK.high) requires = true;
      reasons.push(`Compliance level '${input.compliance_level}' requires review`);
    }
    if (input.explainability_score < t.explainability_threshold) {
      risk = atLeast(risk, 'medium');
      requires = true;
      reasons.push(
        `Explainability score ${input.explainability_score.toFixed(2)} below threshold ${t.explainability_threshold}`,
      );
    }
    const result: GovernanceAssessment = {
      financial_impact: input.financial_impact,
      compliance_level: input.compliance_level,
      explainability_score: input.explainability_score,
      risk_level: risk,
      requires_human_validation: requires,
      reasons,
    };
    if (risk === 'high' || requires) {
      this.logger.warn({
        msg: 'Governance review required',
        workflow_id: input.workflow_id ?? null,
        risk_level: risk,
        requires_human_validation: requires,
        reasons,
      });
    }
    return result;
  }
}
