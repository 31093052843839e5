/**
 * What a TypeScript user reads when a typed pool call is wrong: the compiler's
 * own message, checked by compiling a small file against the built package.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
// Inside the package, so `import 'forkpool'` resolves to this package's own build.
const dir = mkdtempSync(join(root, 'test/types/tmp-messages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function compileErrors(source: string): string {
  const file = join(dir, 'probe.ts');
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck',
    '--target', 'ES2022', '--lib', 'ES2023,ESNext.Disposable,ESNext.AsyncIterable', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', file,
  ], { encoding: 'utf8', cwd: root });
  return r.stdout + r.stderr;
}

const HEADER = `import { Pool } from 'forkpool';
interface Tasks { hash(data: string, rounds: number): string; double(x: number): number }
const pool = new Pool<Tasks>('tasks.mjs');
`;

test('a misspelled task name shows the valid names in the type error', () => {
  const out = compileErrors(`${HEADER}void pool.apply('dobule', [2]);\n`);
  assert.match(out, /'"dobule"' is not assignable to parameter of type '"hash" \| "double"'/);
});

test('map of a task that needs two arguments fails to compile with a message naming starmap', () => {
  const out = compileErrors(`${HEADER}void pool.map('hash', ['x']);\n`);
  assert.match(out, /hash\(\) needs more than one argument: call starmap\('hash', \[\[a, b\], …\]\) instead/);
});
