import { spawnSync } from 'node:child_process';

/** Runs the real `promtool` (Debian's prometheus package); `output` is its stdout and stderr. */
export function promtool(
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): { ok: boolean; output: string } {
  const r = spawnSync('promtool', args, { cwd: options.cwd, input: options.stdin, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** `promtool check metrics` over Prometheus exposition text (it reads the metrics on stdin). */
export function promtoolCheck(text: string): { ok: boolean; output: string } {
  return promtool(['check', 'metrics'], { stdin: text });
}

/** The value of the first sample of `name` carrying all of `labels`, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}
