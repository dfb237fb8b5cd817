import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miraConfigSchema } from '@mira/config';
import { VaultCredentials } from './vault.credentials';

const vaultConfig = (vault: Record<string, unknown>) =>
  miraConfigSchema.parse({ secrets: { vault: { url: 'http://127.0.0.1:1', ...vault } } }).secrets.vault;

describe('VaultCredentials', () => {
  it('prefers the configured value, else reads the file again at every call (trimmed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-vault-cred-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'file-token-1\n');
    expect(await new VaultCredentials(vaultConfig({ token: 'cfg-token', token_file: file })).token()).toBe(
      'cfg-token',
    );
    const fromFile = new VaultCredentials(vaultConfig({ token: null, token_file: file }));
    expect(await fromFile.token()).toBe('file-token-1');
    writeFileSync(file, 'file-token-2\n');
    expect(await fromFile.token()).toBe('file-token-2');
  });

  it('AppRole and Kubernetes logins carry their mount paths, role and credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-vault-cred-'));
    writeFileSync(join(dir, 'jwt'), 'sa-jwt-abc\n');
    writeFileSync(join(dir, 'role_id'), 'role-from-file\n');
    const creds = new VaultCredentials(
      vaultConfig({
        role_id_file: join(dir, 'role_id'),
        secret_id: 'sid',
        approle_mount_path: 'ar',
        kubernetes_role: 'mira',
        kubernetes_jwt_file: join(dir, 'jwt'),
      }),
    );
    await expect(creds.approle()).resolves.toEqual({
      mount_point: 'ar',
      role_id: 'role-from-file',
      secret_id: 'sid',
    });
    await expect(creds.kubernetes()).resolves.toEqual({
      mount_point: 'kubernetes',
      role: 'mira',
      jwt: 'sa-jwt-abc',
    });
  });

  it('says which key to set when a credential is missing', async () => {
    await expect(new VaultCredentials(vaultConfig({ secret_id: 'x' })).approle()).rejects.toThrow(
      'Vault AppRole auth needs role_id: set secrets.vault.role_id (MIRA_SECRETS__VAULT__ROLE_ID) or secrets.vault.role_id_file',
    );
  });
});
