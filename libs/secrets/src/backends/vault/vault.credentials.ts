import { readFile } from 'node:fs/promises';
import { SecretsError } from '../../secrets.error';
import type { SecretsConfig } from '../../secrets.interface';

type VaultConfig = SecretsConfig['vault'];

/**
 * What each auth method logs in with, from config or from files re-read at every login (a rotated
 * token file, AppRole secret_id or service-account JWT is picked up without a restart).
 */
export class VaultCredentials {
  constructor(private readonly cfg: VaultConfig) {}

  async token(): Promise<string> {
    if (this.cfg.token) return this.cfg.token;
    if (this.cfg.token_file) return (await this.readRequired(this.cfg.token_file, 'token_file')).trim();
    throw new SecretsError(
      'SECRETS_BACKEND_MISCONFIGURED',
      'Vault token auth needs a token: set MIRA_VAULT_TOKEN / VAULT_TOKEN or secrets.vault.token_file (or choose auth_method approle | kubernetes)',
    );
  }

  async approle(): Promise<{ mount_point: string; role_id: string; secret_id: string }> {
    return {
      mount_point: this.cfg.approle_mount_path,
      role_id: await this.credential(this.cfg.role_id, this.cfg.role_id_file, 'role_id'),
      secret_id: await this.credential(this.cfg.secret_id, this.cfg.secret_id_file, 'secret_id'),
    };
  }

  async kubernetes(): Promise<{ mount_point: string; role: string; jwt: string }> {
    if (!this.cfg.kubernetes_role)
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        'Vault Kubernetes auth needs secrets.vault.kubernetes_role (MIRA_SECRETS__VAULT__KUBERNETES_ROLE)',
      );
    return {
      mount_point: this.cfg.kubernetes_mount_path,
      role: this.cfg.kubernetes_role,
      jwt: (await this.readRequired(this.cfg.kubernetes_jwt_file, 'kubernetes_jwt_file')).trim(),
    };
  }

  private async credential(value: string | null, file: string | null, what: string): Promise<string> {
    if (value) return value;
    if (file) return (await this.readRequired(file, `${what}_file`)).trim();
    throw new SecretsError(
      'SECRETS_BACKEND_MISCONFIGURED',
      `Vault AppRole auth needs ${what}: set secrets.vault.${what} (MIRA_SECRETS__VAULT__${what.toUpperCase()}) or secrets.vault.${what}_file`,
    );
  }

  private async readRequired(file: string, key: string): Promise<string> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new SecretsError(
        'SECRETS_BACKEND_MISCONFIGURED',
        `secrets.vault.${key} ${file} cannot be read (${(err as NodeJS.ErrnoException).code}); fix the path or mount`,
      );
    }
  }
}
