import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a ConfigMap or Secret volume the way the kubelet's AtomicWriter does: the files in a new
 * timestamped directory, a `..data_tmp` symlink renamed over `..data` (the atomic swap), one
 * `<name> -> ..data/<name>` link per file, and the previous directory removed unless `keepOld`.
 */
export function kubeletWrite(
  dir: string,
  files: Record<string, string>,
  options: { keepOld?: boolean } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const tsDir = mkdtempSync(join(dir, `..${Date.now()}_`));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(tsDir, name), content);
  const dataLink = join(dir, '..data');
  const old = existsSync(dataLink) ? readlinkSync(dataLink) : null;
  symlinkSync(tsDir.slice(dir.length + 1), join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), dataLink);
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(dir, name));
    } catch {
      // already linked from the previous version
    }
  }
  if (old && !options.keepOld) rmSync(join(dir, old), { recursive: true, force: true });
}
