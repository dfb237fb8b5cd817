import { z } from 'zod';

/** Compliance levels a workflow's governance_data may name (any letter case). */
export const COMPLIANCE_LEVELS = ['low', 'medium', 'high', 'critical'] as const;

/** Ids clients may choose for a workflow: safe in logs, URLs and keys. */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * `governance_data` of a workflow, validated before anything runs: a wrong type is refused,
 * never read as "low risk" (fail closed).
 */
export const governanceDataSchema = z.looseObject({
  workflow_id: z
    .string()
    .regex(WORKFLOW_ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":" or "-"')
    .optional(),
  financial_impact: z.number().min(0).optional(),
  compliance_level: z
    .string()
    .refine((v) => (COMPLIANCE_LEVELS as readonly string[]).includes(v.toLowerCase()), {
      message: `must be one of ${COMPLIANCE_LEVELS.join(', ')}`,
    })
    .optional(),
  explainability_score: z.number().min(0).max(1).optional(),
});
