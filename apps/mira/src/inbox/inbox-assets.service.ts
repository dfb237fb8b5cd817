import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';

export interface InboxAsset {
  body: Buffer;
  type: string;
  /** Content hash: asset URLs carry it, so they can be cached for a year. */
  version: string;
}

const TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'list.js': 'text/javascript; charset=utf-8',
  'detail.js': 'text/javascript; charset=utf-8',
  'stream.js': 'text/javascript; charset=utf-8',
  'flags.js': 'text/javascript; charset=utf-8',
  'inbox.css': 'text/css; charset=utf-8',
};

/**
 * The page's files: index.html and inbox.css from source, app.js compiled from page/app.ts by
 * `npm run build` (tsc -p apps/mira/src/inbox/page). Built, they sit beside this file in
 * dist/; run from source (tests, start:dev) the compiled app.js is looked up in dist/.
 * Read once and kept: they only change with a new build.
 */
@Injectable()
export class InboxAssetsService {
  private cache = new Map<string, InboxAsset>();
  private html: string | null = null;

  private static dirs(): string[] {
    return [join(__dirname, 'page'), join(process.cwd(), 'dist/apps/mira/src/inbox/page')];
  }

  static locate(file: string): string | null {
    for (const dir of InboxAssetsService.dirs()) {
      const path = join(dir, file);
      if (existsSync(path)) return path;
    }
    return null;
  }

  /** The asset, or null for an unknown name or one not built yet. */
  asset(file: string): InboxAsset | null {
    if (!Object.hasOwn(TYPES, file)) return null;
    let found = this.cache.get(file);
    if (!found) {
      const path = InboxAssetsService.locate(file);
      if (path === null) return null;
      const body = readFileSync(path);
      found = {
        body,
        type: TYPES[file],
        version: createHash('sha256').update(body).digest('hex').slice(0, 12),
      };
      this.cache.set(file, found);
    }
    return found;
  }

  /** index.html with the versioned asset URLs filled in; null until the page script is built. */
  page(): string | null {
    if (this.html === null) {
      const path = InboxAssetsService.locate('index.html');
      const script = this.asset('app.js');
      const style = this.asset('inbox.css');
      if (path === null || script === null || style === null) return null;
      this.html = readFileSync(path, 'utf8')
        .replace('{{app.js}}', `/inbox/assets/app.js?v=${script.version}`)
        .replace('{{inbox.css}}', `/inbox/assets/inbox.css?v=${style.version}`);
    }
    return this.html;
  }
}
