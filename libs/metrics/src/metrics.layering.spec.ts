import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LIBS = join(__dirname, '..', '..');

/** The @mira libs each lib's source (specs included) imports, read from the real files. */
function libGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const lib of readdirSync(LIBS)) {
    const deps = new Set<string>();
    const files = readdirSync(join(LIBS, lib, 'src'), { recursive: true, encoding: 'utf8' });
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(LIBS, lib, 'src', file), 'utf8');
      for (const [, dep] of text.matchAll(/['"]@mira\/([a-z-]+)/g)) if (dep !== lib) deps.add(dep);
    }
    graph.set(lib, deps);
  }
  return graph;
}

/** A cycle as a path (a -> b -> a), or null. */
function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (lib: string, path: string[]): string[] | null => {
    if (state.get(lib) === 'open') return [...path.slice(path.indexOf(lib)), lib];
    if (state.get(lib) === 'done') return null;
    state.set(lib, 'open');
    for (const dep of graph.get(lib) ?? []) {
      const cycle = visit(dep, [...path, lib]);
      if (cycle) return cycle;
    }
    state.set(lib, 'done');
    return null;
  };
  for (const lib of graph.keys()) {
    const cycle = visit(lib, []);
    if (cycle) return cycle;
  }
  return null;
}

describe('metrics is a leaf lib', () => {
  const graph = libGraph();

  it('imports no other @mira lib (collectors live with their data and register into it)', () => {
    expect(graph.get('metrics')).toBeDefined();
    expect([...(graph.get('metrics') ?? [])]).toEqual([]);
  });

  it('leaves the lib graph without cycles', () => {
    expect(graph.size).toBeGreaterThan(5);
    expect(findCycle(graph)).toBeNull();
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const cyclic = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
  });
});
