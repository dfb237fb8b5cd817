// The first import of main.ts, so it runs before anything that needs Node 24 (node:sqlite,
// undici 8, require(esm)): an older Node gets one line naming the fix instead of a stack trace.
// Plain syntax and no imports: this file must load on any Node still in use.
const REQUIRED = { major: 24, minor: 9 };

/** Null when `version` (as in process.versions.node) is recent enough, else the line to print. */
export function nodeVersionProblem(version: string): string | null {
  const [major, minor] = version.split('.').map((n) => Number.parseInt(n, 10));
  if (major > REQUIRED.major || (major === REQUIRED.major && minor >= REQUIRED.minor)) return null;
  return (
    `mira: needs Node >= ${REQUIRED.major}.${REQUIRED.minor}, found ${version}; ` +
    `run it through \`npm start\` (which uses the project's own Node ${REQUIRED.major}) or install Node ${REQUIRED.major}`
  );
}

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
