import { Injectable } from '@nestjs/common';

/**
 * Tells long-lived requests (live workflow streams) that a credential may have ended on this
 * replica: a sign-out, a session whose roles were refreshed away. Listeners re-check their callers;
 * other replicas see the same end at their next periodic check (the revocation is in the store).
 */
@Injectable()
export class CredentialRevocations {
  private readonly listeners = new Set<() => void>();

  onRevoked(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  revoked(): void {
    for (const fn of this.listeners) fn();
  }
}
