// Who acts on a workflow: a stable id every rule compares, and a display name people read.

/** Who acts: the stable id (`key:<name>`, `oidc:<issuer-host>:<sub>`, `system`), display name, roles. */
export interface Actor {
  id: string;
  name: string;
  roles: readonly string[];
}

/** A display name for an id given without one (a workflow published on the broker): the subject part. */
export function displayNameOf(id: string): string {
  const at = id.lastIndexOf(':');
  return at === -1 ? id : id.slice(at + 1) || id;
}

/**
 * Whether `recorded` (a requester or voter id) is `actor`, for the rules that must not be talked
 * around (separation of duties, one approver counts once): the same stable id, or an id kept from
 * before ids existed (`legacy:<name>`) whose name is the actor's display name. Failing safe: the
 * legacy case may refuse a different person of the same name, never let the same one through.
 */
export function isSameActor(recorded: string, actor: Pick<Actor, 'id' | 'name'>): boolean {
  return recorded === actor.id || recorded === `legacy:${actor.name}`;
}
