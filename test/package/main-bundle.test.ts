/**
 * The build bundles `import 'forkpool'` (dist/index.js), the `forkpool`
 * command and the shared objects (scripts/bundle-main.mjs): they resolved and
 * linked 120-140 files before they did anything. These checks fail if the
 * build stops bundling them, if a bundle takes a private copy of a module
 * that must stay one (the shared objects, the error classes), if a path a
 * bundle computes from its own location points elsewhere, or if tsx would
 * rewrite a bundle (a dynamic import in it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from './project.ts';

const CLI = join(repo, 'dist/cli/main.js');
const INDEX = join(repo, 'dist/index.js');
const SHARED = join(repo, 'dist/shared');
/** What a bundle may import from dist/: the modules that must exist once, and the file that holds the packages' import(). */
const ONE_COPY = /^\/(shared\/index\.js|errors\.js|util\/(deque|timers)\.js|cluster\/import-package\.js)$/;

/** Relative module specifiers a built file imports, statically or with import(). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']((?:\.\.?\/)[^"']+)["']/g)].map((m) => m[1]!);
}

/** The dist/ files `node <args>` loads, from NODE_DEBUG=esm (workers' lines excluded). */
function loadedFiles(args: string[]): { files: Set<string>; stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repo, env: { ...process.env, NODE_DEBUG: 'esm' } });
  const files = new Set([...r.stderr.matchAll(/file:\/\/[^\s'",]+\/dist\/[^\s'",]+\.js/g)].map((m) => m[0]).filter((u) => !u.includes('/dist/worker/')));
  return { files, stdout: r.stdout, stderr: r.stderr, status: r.status };
}

for (const [name, bundle] of [['the forkpool command', CLI], ["dist/index.js ('forkpool')", INDEX]] as const) {
  test(`${name} is a bundle whose only relative imports are the shared objects, the error classes, two utilities and the packages' loader`, () => {
    const specs = [...new Set(relativeImports(bundle))];
    assert.ok(specs.length > 0 && specs.length <= 8, `relative imports: ${specs.join(', ')}`);
    for (const spec of specs) {
      const target = resolve(dirname(bundle), spec);
      assert.ok(existsSync(target), `${spec} does not exist beside the bundle`);
      assert.match(target.slice(join(repo, 'dist').length), ONE_COPY, `the bundle imports ${spec}`);
    }
  });
}

test("import 'forkpool' loads a handful of files, and its Pool runs tasks", () => {
  const script = `import { Pool } from 'forkpool';
const pool = new Pool(new URL(${JSON.stringify(pathToFileURL(join(repo, 'test/fixtures/esm.mjs')).href)}), { processes: 1 });
console.log(JSON.stringify(await pool.map('quad', [1, 2])));
await pool.terminate();`;
  const r = loadedFiles(['--input-type=module', '-e', script]);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(r.stdout.trim(), '[4,8]');
  assert.ok(r.files.size <= 8, `${r.files.size} files of dist/ loaded: ${[...r.files].join(', ')}`);
});

test('dist/shared/ is one bundle: every other file there re-exports from it, so a second copy of its code cannot load', async () => {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
  const stubs = walk(SHARED).filter((f) => f !== join(SHARED, 'index.js'));
  assert.ok(stubs.length > 20, `${stubs.length} files beside the bundle`);
  for (const f of stubs) {
    const code = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('//'));
    assert.equal(code.length, 1, `${f} holds code of its own`);
    assert.match(code[0]!, /^export (\{[^}]*\} from "(\.\.\/)*\.?\/?index\.js"|\{\});$/, f);
  }
  // The same classes whichever path they come through (the CLI's files and tests import these paths).
  const main = await import(pathToFileURL(INDEX).href) as typeof import('forkpool');
  const viaStub = await import(pathToFileURL(join(SHARED, 'objects/queue.js')).href) as { Queue: unknown };
  const viaBarrel = await import(pathToFileURL(join(SHARED, 'index.js')).href) as { Queue: unknown; QueueFullError: unknown };
  assert.equal(viaStub.Queue, main.Queue);
  assert.equal(viaBarrel.Queue, main.Queue);
  assert.equal(viaBarrel.QueueFullError, main.QueueFullError);
});

test('no bundle holds a dynamic import(), so tsx loads each as it is (it rewrites and source-maps any module with one)', () => {
  for (const f of [INDEX, CLI, join(SHARED, 'index.js')]) {
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\bimport\s*\(/, f);
  }
  // Under tsx, a function of the bundle reads back as the bundle's own text: tsx did not reprint it.
  const script = `import { Pool } from 'forkpool'; import { readFileSync } from 'node:fs';
console.log(readFileSync(${JSON.stringify(INDEX)}, 'utf8').includes(Pool.toString()));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: repo });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(r.stdout.trim(), 'true');
});

test("the bundles carry source maps back to src/, so stack traces under --enable-source-maps name the TypeScript files", () => {
  for (const [f, src] of [[INDEX, 'src/pool/pool.ts'], [CLI, 'src/cli/main.ts'], [join(SHARED, 'index.js'), 'src/shared/objects/queue.ts']] as const) {
    const map = JSON.parse(readFileSync(`${f}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    assert.ok(map.sources.some((s) => s.endsWith(src)), `${f}.map sources: ${map.sources.slice(0, 5).join(', ')}...`);
    assert.equal(map.sourcesContent?.length, map.sources.length, `${f}.map should inline its sources (the package ships no src/)`);
  }
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', "import { Pool } from 'forkpool'; try { new Pool(42); } catch (e) { console.log(e.stack); }"], { encoding: 'utf8', cwd: repo });
  assert.match(r.stdout, /src\/pool\/pool\.ts:\d+/, r.stdout + r.stderr);
});

test('the bundled command loads a handful of files, finds its package.json and worker entry, and runs items', () => {
  const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
  const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
  assert.equal(v.stdout.trim(), version, v.stderr);
  const r = spawnSync(process.execPath, [CLI, 'run', join(repo, 'test/fixtures/cli/tasks.mjs#square'), '3', '4', '-k', '-q', '-j', '1'], {
    encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' },
  });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.deepEqual(r.stdout.trim().split('\n'), ['9', '16']);
  // The runner's own loads (its workers' stderr is theirs; they load the worker bundle).
  const loaded = new Set([...r.stderr.matchAll(/file:\/\/[^\s'",]+\/dist\/[^\s'",]+\.js/g)].map((m) => m[0]).filter((u) => !u.includes('/dist/worker/')));
  assert.ok(loaded.size <= 8, `${loaded.size} files of dist/ loaded by forkpool run: ${[...loaded].join(', ')}`);
});
