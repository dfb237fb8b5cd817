export type OutputFormat = 'table' | 'json';

/** Writes `data` as JSON, or as a table of `columns` (rows: an array, or one object). */
export function render(data: unknown, format: OutputFormat, columns?: string[]): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const rows = (Array.isArray(data) ? data : [data]) as Record<string, unknown>[];
  if (rows.length === 0) return 'No items.\n';
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return (
    [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join(
      '\n',
    ) + '\n'
  );
}
