import { Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { redactQueryString } from '@mira/logging';
import { OidcClientService } from '../security';
import { InboxAssetsService } from './inbox-assets.service';
import { InboxController } from './inbox.controller';
import { InboxSessionService } from './inbox-session.service';
import { SessionIdentityResolver } from './session.resolver';
import { SessionRolesService } from './session-roles.service';

/**
 * The reviewers' page at /inbox with OpenID Connect sign-in; its session cookie becomes an API
 * credential (with CSRF token) through SessionIdentityResolver, registered with the security
 * module's resolvers.
 */
@Module({
  controllers: [InboxController],
  providers: [InboxAssetsService, InboxSessionService, SessionRolesService, SessionIdentityResolver],
})
export class InboxModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Inbox');

  constructor(
    private readonly oidc: OidcClientService,
    private readonly sessions: InboxSessionService,
  ) {
    // The callback's code and state are one-time credentials: never in the access log.
    redactQueryString('/inbox/callback');
  }

  /** Sign-in configured without a usable session secret is a start failure, not a broken page later. */
  onApplicationBootstrap(): void {
    if (!this.oidc.signInEnabled) return;
    this.sessions.keys();
    if (InboxAssetsService.locate('app.js') === null)
      this.logger.warn('The inbox page is not built (app.js missing): run npm run build');
  }
}
