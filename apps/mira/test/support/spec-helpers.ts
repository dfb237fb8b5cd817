import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The error `fn` throws when it is a `type`. Anything else thrown is rethrown and nothing thrown
 * fails the test, so an assertion on the result never passes by accident.
 */
export function thrownBy<E extends Error>(type: abstract new (...args: any[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}`);
}

/** Writes `text` to `name` in a fresh temp directory (`<prefix>XXXXXX`) and answers the file's path. */
export function tempFile(name: string, text: string, prefix = 'mira-spec-'): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(file, text);
  return file;
}
