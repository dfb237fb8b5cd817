import { Controller, Get, Inject, Query } from '@nestjs/common';
import { STATE_STORE, type AuditEntry, type AuditVerification, type StateStore } from '@mira/state';
import { Roles } from '../security';
import { auditQuerySchema, type AuditQuery } from './api.schemas';

/** The append-only, hash-chained audit trail: auditors and admins read it and check it. */
@Controller('api/v1/audit')
@Roles('auditor')
export class AuditController {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  /** Oldest first; `next_cursor` fetches the following page. */
  @Get()
  list(
    @Query({ schema: auditQuerySchema }) query: AuditQuery,
  ): Promise<{ items: AuditEntry[]; next_cursor: string | null }> {
    return this.store.listAudit({
      workflow_id: query.workflow_id,
      limit: query.limit,
      cursor: query.cursor ?? null,
    });
  }

  /** Walks the whole chain: `{ ok, entries, first_bad_seq? }`. */
  @Get('verify')
  verify(): Promise<AuditVerification> {
    return this.store.verifyAudit();
  }
}
