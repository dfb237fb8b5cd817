import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfigKeys, generateConfigReference } from './config.docs';
import { isLiveReloadable, leafChanges } from './config.reload-policy';
import { miraConfigSchema } from './config.schema';

describe('docs/configuration.md', () => {
  it('is up to date with the schema (run `npm run docs:config` to regenerate)', () => {
    const committed = readFileSync(join(__dirname, '../../../docs/configuration.md'), 'utf8');
    expect(committed).toBe(generateConfigReference());
  });

  it('documents every leaf key of the schema with its default', () => {
    const documented = new Map(describeConfigKeys().map((k) => [k.path, k]));
    const defaults = miraConfigSchema.parse({});
    // Every leaf present in the defaults tree is documented with that default.
    const leaves = leafChanges({}, defaults);
    expect(leaves.length).toBe([...documented.keys()].filter((p) => !p.includes('<')).length);
    for (const { path, current } of leaves)
      expect([path, documented.get(path)?.default]).toEqual([path, current]);
    expect(documented.get('agents.<agent_id>.enabled')).toMatchObject({
      type: 'boolean',
      default: true,
      env: ['MIRA_AGENTS__<AGENT_ID>__ENABLED'],
      live: true,
    });
    expect(documented.get('features.legacy.<feature>')).toMatchObject({ default: false, live: true });
    expect(documented.get('api.cors_origins')).toMatchObject({ live: false });
  });

  it('lists named, generic and fallback variables, and the reload policy', () => {
    const keys = new Map(describeConfigKeys().map((k) => [k.path, k]));
    expect(keys.get('server.port')).toMatchObject({ env: ['PORT', 'MIRA_SERVER__PORT'], live: false });
    expect(keys.get('logging.level')).toMatchObject({
      env: ['MIRA_LOG_LEVEL', 'MIRA_LOGGING__LEVEL'],
      live: true,
    });
    expect(keys.get('secrets.vault.url')?.env).toEqual([
      'MIRA_VAULT_URL',
      'MIRA_SECRETS__VAULT__URL',
      'VAULT_ADDR',
    ]);
    expect(keys.get('server.port')?.type).toBe('integer 0..65535');
    for (const k of keys.values()) expect(k.live).toBe(isLiveReloadable(k.path.replace(/<[^>]+>/g, '*')));
  });
});
