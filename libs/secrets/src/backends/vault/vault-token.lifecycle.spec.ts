import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import type NodeVault from 'node-vault';
import { miraConfigSchema } from '@mira/config';
import { until } from '../../../../../apps/mira/test/support/poll';
import { VaultTestServer } from '../../../../../apps/mira/test/support/vault-test-server';
import { SecretsCircuitBreaker } from '../../resilience/secrets.breaker';
import { retryPolicyFrom } from '../../resilience/secrets.retry';
import { VaultTokenLifecycle } from './vault-token.lifecycle';

// The real node-vault client against the Vault test server (the documented HTTP API).
let server: VaultTestServer;
const lifecycles: VaultTokenLifecycle[] = [];
beforeEach(async () => {
  server = await VaultTestServer.start();
});
afterEach(async () => {
  for (const l of lifecycles.splice(0)) l.close();
  await server.stop();
});

async function lifecycle(vault: Record<string, unknown>, retry: Record<string, unknown> = {}) {
  const secrets = miraConfigSchema.parse({
    secrets: { backend: 'vault', retry: { delay: 0.005, ...retry }, vault: { url: server.url, ...vault } },
  }).secrets;
  const client = ((await import('node-vault')) as unknown as { default: typeof NodeVault }).default({
    endpoint: server.url,
    apiVersion: 'v1',
  });
  client.token = '';
  const warnings: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (m) => void warnings.push(m),
  };
  const breaker = new SecretsCircuitBreaker('vault', secrets.circuit_breaker);
  const l = new VaultTokenLifecycle(
    client,
    secrets.vault,
    retryPolicyFrom(secrets.retry),
    (fn) => breaker.call(fn),
    logger,
  );
  lifecycles.push(l);
  return { l, client, warnings };
}

describe('VaultTokenLifecycle', () => {
  it('token auth: looks the token up, reports its TTL and renews it at about 2/3 of it', async () => {
    const token = server.issueToken({ ttl: 3, renewable: true });
    const { l, client } = await lifecycle({ token });
    await l.relogin();
    expect(client.token).toBe(token);
    expect(l.health()).toMatchObject({
      method: 'token',
      renewable: true,
      logins: 1,
      renewals: 0,
      failures: 0,
    });
    expect(l.health().token_ttl_seconds).toBeGreaterThan(0);
    expect(l.problem()).toBeNull();
    await until(() => l.health().renewals >= 1, 'a renewal', 10_000);
    const renew = server.requests.find((r) => r.path === '/v1/auth/token/renew-self')!;
    expect(renew.token).toBe(token);
    expect(JSON.stringify(l.health())).not.toContain(token);
  });

  it('AppRole: re-reads secret_id from its file at every login, and concurrent relogins share one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-approle-unit-'));
    writeFileSync(join(dir, 'secret_id'), 'secret-id-one\n');
    server.approle = { roleId: 'role-1', secretId: 'secret-id-one', token: { ttl: 3600, renewable: false } };
    const { l, client } = await lifecycle({
      auth_method: 'approle',
      role_id: 'role-1',
      secret_id_file: join(dir, 'secret_id'),
    });
    await Promise.all([l.relogin(), l.relogin(), l.relogin()]);
    expect(server.count(/auth\/approle\/login/)).toBe(1);
    const first = client.token;
    expect(server.tokens.has(first)).toBe(true);

    writeFileSync(join(dir, 'secret_id'), 'secret-id-two\n');
    server.approle.secretId = 'secret-id-two';
    await l.relogin();
    expect(
      server.requests.filter((r) => r.path === '/v1/auth/approle/login').map((r) => r.body.secret_id),
    ).toEqual(['secret-id-one', 'secret-id-two']);
    expect(client.token).not.toBe(first);
    expect(l.health().logins).toBe(2);
  });

  it('tells a revoked token (403 on lookup-self) from a valid one', async () => {
    const token = server.issueToken({ ttl: 3600 });
    const { l } = await lifecycle({ token });
    await l.relogin();
    await expect(l.tokenRejected()).resolves.toBe(false);
    server.revoke(token);
    await expect(l.tokenRejected()).resolves.toBe(true);
  });

  it('retries a login failing with 503, counting each failure, then reports auth healthy again', async () => {
    const token = server.issueToken({ ttl: 3600 });
    const { l, warnings } = await lifecycle({ token }, { max_retries: 3 });
    server.fail(/auth\/token\/lookup-self/, 503, 2);
    await l.relogin();
    expect(server.count(/auth\/token\/lookup-self/)).toBe(3);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^Vault login retry 1 in \d+ ms: 503/);
    expect(l.health()).toMatchObject({ logins: 1, failures: 0, last_error: null });
  });

  it('a login that keeps failing is reported by problem() and thrown as a SecretsError', async () => {
    const { l } = await lifecycle({ token: 'hvs.not-issued' }, { max_retries: 1 });
    await expect(l.relogin()).rejects.toMatchObject({ code: 'SECRETS_BACKEND_UNAVAILABLE' });
    expect(l.problem()).toMatch(/^Vault token renewal\/login failing \(1 attempts\): login failed: /);
    expect(l.problem()).not.toContain('hvs.not-issued');
  });

  it('misconfiguration names the key to set', async () => {
    const { l: noToken } = await lifecycle({ token: null });
    await expect(noToken.relogin()).rejects.toThrow(
      /MIRA_VAULT_TOKEN \/ VAULT_TOKEN or secrets.vault.token_file/,
    );
    const { l: noRole } = await lifecycle({ auth_method: 'kubernetes' });
    await expect(noRole.relogin()).rejects.toThrow(
      'Vault Kubernetes auth needs secrets.vault.kubernetes_role',
    );
    const { l: noSecretId } = await lifecycle({ auth_method: 'approle', role_id: 'r' });
    await expect(noSecretId.relogin()).rejects.toMatchObject({
      code: 'SECRETS_BACKEND_MISCONFIGURED',
      message: expect.stringContaining('secrets.vault.secret_id_file'),
    });
    const { l: badFile } = await lifecycle({ token_file: '/nonexistent/mira/token' });
    await expect(badFile.relogin()).rejects.toThrow(
      'secrets.vault.token_file /nonexistent/mira/token cannot be read (ENOENT); fix the path or mount',
    );
  });
});
