import { z } from 'zod';

const object = z.record(z.string(), z.unknown());

/** `{ type, data }` for POST /api/v1/messages and /api/v1/events. */
export const messageBodySchema = z.object({
  type: z.string().min(1).max(200),
  data: object,
});
export type MessageBody = z.infer<typeof messageBodySchema>;

/** `{ workflow_type, data, governance_data? }` for POST /api/v1/workflows. */
export const workflowBodySchema = z.object({
  workflow_type: z.string().min(1).max(200),
  data: object,
  governance_data: object.nullish(),
});
export type WorkflowBody = z.infer<typeof workflowBodySchema>;
