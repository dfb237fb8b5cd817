import { lstatSync, readFileSync, realpathSync } from 'node:fs';
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
