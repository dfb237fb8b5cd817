import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { SqliteFileGuard } from './sqlite.file-guard';

describe('SqliteFileGuard', () => {
  it('logs the deleted file path once but keeps it out of the error API callers see', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-guard-'));
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const file = join(dir, 'state.db');
      writeFileSync(file, '');
      const guard = new SqliteFileGuard(file);
      rmSync(file);
      let message = '';
      try {
        guard.check(true);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/state\.sqlite\.path\) was deleted/);
      expect(message).not.toContain(dir);
      expect(() => guard.check(true)).toThrow(/was deleted/);
      expect(error).toHaveBeenCalledTimes(1);
      expect(String(error.mock.calls[0][0])).toContain(file);
    } finally {
      error.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
