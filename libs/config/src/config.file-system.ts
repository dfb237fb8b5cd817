import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { Injectable } from '@nestjs/common';

/**
 * The file-system calls of config loading and reloading, behind one injectable class so tests
 * can simulate failures a root test runner cannot produce for real (e.g. EACCES).
 */
@Injectable()
export class ConfigFileSystem {
  /** The file's bytes, following symlinks (a ConfigMap file is `name -> ..data/name`). */
  readFile(path: string): Buffer {
    return readFileSync(path);
  }

  /** size, mtime and inode of the file behind every symlink (throws like readFile when it is missing). */
  stat(path: string): { size: number; mtimeMs: number; ino: number } {
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  }

  /** The path after resolving every symlink, resolved again on each reload. */
  realpath(path: string): string {
    return realpathSync(path);
  }

  isSymlink(path: string): boolean {
    try {
      return lstatSync(path).isSymbolicLink();
    } catch {
      return false;
    }
  }

  exists(path: string): boolean {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }
}
