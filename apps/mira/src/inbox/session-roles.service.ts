import { Injectable, Logger, Optional } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ConfigStore } from '@mira/config';
import { CredentialRevocations, mapRoles, OidcClientService, type ApiRole } from '../security';
import { InboxSessionService, type InboxSession } from './inbox-session.service';

interface Checked {
  roles: readonly ApiRole[];
  at: number;
}

/**
 * Keeps a live session's roles current: at least every `auth.session.refresh_seconds` the
 * provider is asked again (userinfo with the sign-in's access token), so a person removed from a
 * group loses the role within that interval, not when the cookie expires. A person left with no
 * role, or whose token the provider no longer accepts, is signed out (revoked on every replica).
 * Checks are remembered per replica and session id; a session without a token (issued before
 * this existed) keeps its sign-in roles until it expires.
 */
@Injectable()
export class SessionRolesService {
  private readonly logger = new Logger('Inbox');
  private readonly checked = new LRUCache<string, Checked>({ max: 10_000 });
  /** One provider call per session at a time, whatever the number of parallel requests. */
  private readonly inFlight = new Map<string, Promise<InboxSession | null>>();

  constructor(
    private readonly config: ConfigStore,
    private readonly oidc: OidcClientService,
    private readonly sessions: InboxSessionService,
    @Optional() private readonly revocations: CredentialRevocations | null = null,
  ) {}

  /** The session with its current roles, or null when it ended because of the check. */
  async current(session: InboxSession): Promise<InboxSession | null> {
    if (session.sub === undefined || session.at === undefined) return session;
    const now = Date.now();
    const last = this.checked.get(session.sid) ?? { roles: session.roles, at: session.iat * 1000 };
    const interval = this.config.get('auth').session.refresh_seconds * 1000;
    if (now - last.at < interval) return { ...session, roles: last.roles };
    let pending = this.inFlight.get(session.sid);
    if (!pending) {
      pending = this.refresh(session, now).finally(() => this.inFlight.delete(session.sid));
      this.inFlight.set(session.sid, pending);
    }
    return pending;
  }

  private async refresh(session: InboxSession, now: number): Promise<InboxSession | null> {
    let roles: ApiRole[];
    try {
      roles = mapRoles(await this.oidc.userInfo(session.at!, session.sub!), this.oidc.settings);
    } catch (err) {
      this.logger.warn(
        `The provider did not confirm ${session.name}'s roles (${(err as Error).message}): signed out`,
      );
      roles = [];
    }
    if (roles.length === 0) {
      this.checked.delete(session.sid);
      // Refused here either way; a store that cannot record it leaves the other replicas to check too.
      await this.sessions.revoke(session).catch(() => undefined);
      this.logger.log(`${session.name} has no Mira role any more: the inbox session ended`);
      return null;
    }
    const before = this.checked.get(session.sid)?.roles ?? session.roles;
    this.checked.set(session.sid, { roles, at: now });
    // A role taken away: live streams opened with the wider roles are checked again now.
    if (before.some((r) => !roles.includes(r))) this.revocations?.revoked();
    return { ...session, roles };
  }
}
