import { z } from 'zod';

/** The answer to a verified delivery (202), or to a replay of one (200 with duplicate: true). */
export const webhookAckSchema = z.object({
  status: z.literal('accepted'),
  service: z.string(),
  delivery_id: z.string().nullable(),
  duplicate: z.boolean().optional(),
});
export type WebhookAck = z.infer<typeof webhookAckSchema>;

export const webhookServiceParamSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
