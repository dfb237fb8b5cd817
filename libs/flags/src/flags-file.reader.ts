import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { flagDefinitionSchema, type FlagDefinition } from './flags.config';
import { FlagsError } from './flags.error';

const fileSchema = z.looseObject({ flags: z.record(z.string(), flagDefinitionSchema).default({}) });

/** Reads `features.flags_file` (flagd's JSON format), validated like `features.flags`. */
@Injectable()
export class FlagsFileReader {
  read(path: string): Record<string, FlagDefinition> {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new FlagsError(
        'FLAGS_FILE_INVALID',
        `features.flags_file ${path} is not readable JSON (${(err as Error).message}); fix the file or the path`,
      );
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FlagsError(
        'FLAGS_FILE_INVALID',
        `features.flags_file ${path}: flags.${issue.path.join('.')}: ${issue.message}`,
      );
    }
    return parsed.data.flags;
  }

  /**
   * Calls `onChange` when the file's content (or its absence) changes, checked every `intervalMs`.
   * Content, not mtime: a ConfigMap swap keeps the mtime. Returns the stop function.
   */
  watch(path: string, intervalMs: number, onChange: () => void): () => void {
    let last = snapshot(path);
    const timer = setInterval(() => {
      const now = snapshot(path);
      if (now === last) return;
      last = now;
      onChange();
    }, intervalMs);
    // The HTTP server keeps the process alive; this timer alone must not.
    timer.unref();
    return () => clearInterval(timer);
  }
}

function snapshot(path: string): string {
  try {
    return `ok:${readFileSync(path, 'utf8')}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
