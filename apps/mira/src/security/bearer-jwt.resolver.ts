import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyService } from './api-key.service';
import type { CallerIdentity } from './caller-identity';
import type { IdentityResolver } from './identity-resolver.interface';
import { OidcClientService } from './oidc-client.service';
import { jose } from './oidc-libraries';
import { actorName, mapRoles } from './role-mapping';
import { oidcSubjectId, subjectOf } from './stable-identity';

/** Three base64url segments: a compact JWS. Anything else is an API key. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Asymmetric signatures only: an HMAC "signed" with a public key must never verify. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Why a token was refused, in words a client can act on (never the token itself). */
function reason(err: unknown): string {
  const { errors } = jose();
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the token is not for this audience';
    if (err.claim === 'iss') return 'the token is from another issuer';
    return `the token's "${err.claim}" claim is not acceptable`;
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return "the token's signing key is not one of the provider's keys";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token signing algorithm is not accepted';
  if (err instanceof errors.JWKSTimeout) return "the provider's keys could not be fetched in time";
  return 'the token could not be verified';
}

/**
 * `Authorization: Bearer <JWT>` from the configured provider: signature by the provider's JWKS,
 * issuer, audience, expiry (with clock skew); the identity from `sub` (display name from
 * `actor_claims`), roles from
 * `roles_claim` through `roles_map`. A bearer value that is not a JWT is left to the API keys.
 */
@Injectable()
export class BearerJwtResolver implements IdentityResolver {
  readonly name = 'bearer-jwt';

  constructor(private readonly oidc: OidcClientService) {}

  async resolve(req: FastifyRequest): Promise<CallerIdentity | null> {
    if (!this.oidc.enabled) return null;
    const token = ApiKeyService.presentedKey({ authorization: req.headers.authorization });
    if (token === null || !COMPACT_JWS.test(token)) return null;
    const o = this.oidc.settings;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose().jwtVerify(token, await this.oidc.jwks(), {
        issuer: o.issuer!,
        audience: this.oidc.audience,
        clockTolerance: o.clock_skew_seconds,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new UnauthorizedException(`Bearer token refused: ${reason(err)}`);
    }
    // An ID token proves a sign-in to the client, it is not a credential for the API.
    if ('nonce' in payload)
      throw new UnauthorizedException('Bearer token refused: it is an ID token; send an access token');
    // The subject is the identity; display-name claims change and repeat, so they only label it.
    const sub = subjectOf(payload);
    if (sub === null) throw new UnauthorizedException('Bearer token refused: it has no "sub" claim');
    const name = actorName(payload, o) ?? sub;
    const roles = mapRoles(payload, o);
    // Signed in but given nothing to do here: no read access either (API keys always have a role).
    if (roles.length === 0)
      throw new ForbiddenException(
        `${name} has no Mira role: map one of the provider's ${o.roles_claim} values to a role in auth.oidc.roles_map`,
      );
    return { id: oidcSubjectId(o.issuer!, sub), name, roles };
  }
}
