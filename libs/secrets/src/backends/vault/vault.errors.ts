import { SecretsError } from '../../secrets.error';
import { isTransient, statusOf } from '../../resilience/secrets.transient';

/** Status and Vault's first error line (node-vault puts `errors[0]` in the message); never request data. */
export function briefly(err: unknown): string {
  if (err instanceof SecretsError) return `${err.code}: ${err.message}`;
  const status = statusOf(err);
  const code = (err as { code?: unknown })?.code;
  const message = String((err as Error)?.message ?? err).slice(0, 200);
  return [status ?? (typeof code === 'string' ? code : undefined), message].filter(Boolean).join(': ');
}

/** A node-vault failure as SECRETS_BACKEND_UNAVAILABLE (transient when it can heal); SecretsErrors pass. */
export function vaultError(err: unknown, what: string): SecretsError {
  if (err instanceof SecretsError) return err;
  return new SecretsError('SECRETS_BACKEND_UNAVAILABLE', `Vault ${what} failed: ${briefly(err)}`, {
    transient: isTransient(err),
    status: statusOf(err),
    cause: err,
  });
}
