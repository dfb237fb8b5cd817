import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { yaml, until, settle, DenyingFileSystem, useReloadHarness } from './config.reload.testing';

// What a reload applies and what it keeps: the last good config on a bad file, environment
// overrides, restart-only keys, the store resolvers.

describe('ConfigReloadService (real files and watchers)', () => {
  const { logs, tempDir, start, threshold } = useReloadHarness();

  it('keeps the last good config on invalid YAML, reports degraded with the reason, recovers on fix', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, 'governance:\n  financial_threshold: [1, 2\n');
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(threshold(h)).toBe(10000);
    const s = h.store.status();
    expect(s.reason).toContain(`Config file ${file} is not valid YAML`);
    expect(s.reloads).toEqual({ ok: 0, failed: 1 });
    expect(logs.error).toHaveBeenCalledTimes(1);

    writeFileSync(file, yaml(15000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(15000);
    expect(h.store.status()).toMatchObject({ reason: null, reloads: { ok: 1, failed: 1 } });
  });

  it('keeps the last good config on a schema violation and names the key path', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, yaml(-5, 'broker:\n  queue_size: 10\n'));
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(threshold(h)).toBe(10000);
    // Nothing half-applied: the valid broker.queue_size in the same file was not taken either.
    expect(h.store.get('broker').queue_size).toBe(1000);
    expect(h.store.status().reason).toMatch(/^Invalid configuration: governance\.financial_threshold: /);
    expect(logs.error).toHaveBeenCalledTimes(1);
    expect(String(logs.error.mock.calls[0][0])).toContain('governance.financial_threshold');
    expect(h.events).toHaveLength(0);

    writeFileSync(file, yaml(12000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(12000);
  });

  it('keeps the last good config when the file is deleted, and recovers when it comes back', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    unlinkSync(file);
    await until('degraded', () => h.store.status().status === 'degraded');
    await settle(h.svc);
    expect(h.store.status().reason).toBe(
      `Config file ${file} does not exist; fix the path in MIRA_CONFIG_FILE or the file's permissions`,
    );
    expect(threshold(h)).toBe(10000);
    expect(h.store.status().reloads.failed).toBe(1);
    expect(logs.error).toHaveBeenCalledTimes(1);

    // The same content as before the deletion still recovers (it is a new observation).
    writeFileSync(file, yaml(10000));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(10000);
  });

  it('keeps the last good config when the file is not readable (permission denied), and recovers', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    // As root, chmod 000 does not stop reads, so the injected file system denies the read
    // exactly as open(2) would; as any other user the real chmod is used.
    const asRoot = process.getuid?.() === 0;
    const fs = new DenyingFileSystem();
    const h = await start(file, { fs });

    writeFileSync(file, yaml(20000));
    if (asRoot) fs.deny = true;
    else chmodSync(file, 0o000);
    await until('degraded', () => h.store.status().status === 'degraded');
    expect(h.store.status().reason).toBe(
      `Config file ${file} is not readable (permission denied); fix the path in MIRA_CONFIG_FILE or the file's permissions`,
    );
    expect(threshold(h)).toBe(10000);

    if (asRoot) fs.deny = false;
    else chmodSync(file, 0o644);
    // Fixing permissions changes no content and may fire no event; the next write (or poll) recovers.
    writeFileSync(file, yaml(20001));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(threshold(h)).toBe(20001);
    expect(h.store.status().reloads).toEqual({ ok: 1, failed: 1 });
  });

  it('keeps environment overrides in force after the file changes the same key', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file, { env: { MIRA_GOVERNANCE__FINANCIAL_THRESHOLD: '5000' } });
    expect(threshold(h)).toBe(5000);

    writeFileSync(file, yaml(99999, 'logging:\n  level: debug\n'));
    await until('reload applied', () => h.store.get('logging').level === 'debug');
    expect(threshold(h)).toBe(5000);
    expect(h.events.flatMap((e) => e.changes.map((c) => c.path))).toEqual(['logging.level']);
  });

  it('applies live keys and holds restart-only keys at their running values (no half-apply)', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(
      file,
      yaml(
        25000,
        'server:\n  port: 4321\nbroker:\n  transport: redis\n  queue_size: 64\n' +
          // Redis needs a shared store (a cross-field rule of the config).
          'state:\n  backend: postgres\n  postgres:\n    url: postgres://db.example/mira\n',
      ),
    );
    await until('reload applied', () => threshold(h) === 25000);
    expect(h.store.get('server').port).toBe(3000);
    expect(h.store.get('broker').transport).toBe('memory');
    expect(h.store.get('broker').queue_size).toBe(64);
    expect(h.store.status().pending_restart).toEqual([
      'server.port',
      'broker.transport',
      'state.backend',
      'state.postgres.url',
    ]);
    expect(h.events[0].changes.map((c) => c.path).sort()).toEqual([
      'broker.queue_size',
      'governance.financial_threshold',
    ]);
    const warning = logs.warn.mock.calls
      .map((c) => String(c[0]))
      .find((m) => m.includes('requires a restart'));
    expect(warning).toContain('server.port, broker.transport');

    // Reverting the restart-only keys clears the pending list (the sections stay: dropping a whole
    // section is held as a likely truncated write).
    writeFileSync(
      file,
      yaml(25000, 'server:\n  port: 3000\nbroker:\n  transport: memory\nstate:\n  backend: sqlite\n'),
    );
    await until('pending cleared', () => h.store.status().pending_restart.length === 0);
    expect(h.store.get('broker').queue_size).toBe(1000);
  });

  it('runs the store resolvers on reload; secret:// values stay as-is without one; a resolver failure keeps the old config', async () => {
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(file, yaml(10000));
    const h = await start(file);

    writeFileSync(file, yaml(10000, 'webhooks:\n  github:\n    secret: secret://github:hmac\n'));
    await until('reloaded', () => h.store.status().reloads.ok === 1);
    // webhooks.* reloads live; with no resolver registered the reference is kept as written.
    expect(h.store.status().pending_restart).toEqual([]);
    expect(h.store.get('webhooks').github.secret).toBe('secret://github:hmac');

    let calls = 0;
    h.store.addResolver({
      name: 'test',
      resolve: (config) => {
        calls++;
        if (config.governance.compliance_threshold === 'secret://gov:level')
          throw new Error('secret gov:level not found; create it in the secrets backend');
        return config;
      },
    });
    const hook = 'webhooks:\n  github:\n    secret: secret://github:hmac\n';
    writeFileSync(file, yaml(11000, `  compliance_threshold: secret://gov:level\n${hook}`));
    await until('degraded', () => h.store.status().status === 'degraded');
    expect(calls).toBe(1);
    expect(threshold(h)).toBe(10000);
    expect(h.store.status().reason).toBe(
      'Configuration reload failed: secret gov:level not found; create it in the secrets backend',
    );

    writeFileSync(file, yaml(11000, `  compliance_threshold: high\n${hook}`));
    await until('recovered', () => h.store.status().status === 'healthy');
    expect(h.store.get('governance')).toMatchObject({
      financial_threshold: 11000,
      compliance_threshold: 'high',
    });
  });
});
