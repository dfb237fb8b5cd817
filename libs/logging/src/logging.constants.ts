import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_NAME = 'mira';

function readVersion(): string {
  // Works from sources (jest) and from dist/ alike: walk up to the nearest package.json.
  for (let dir = __dirname, i = 0; i < 8; i++, dir = join(dir, '..')) {
    try {
      return (
        (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ??
        '0.0.0'
      );
    } catch {
      continue;
    }
  }
  return '0.0.0';
}

export const SERVICE_VERSION = readVersion();
