/**
 * The build bundles the `forkpool` command (scripts/bundle-main.mjs): it
 * resolved and linked about 140 files before it did anything. These checks
 * fail if the build stops bundling it, if the bundle takes a private copy of
 * a file that must stay one (the shared objects, the error classes), or if a
 * path it computes from its own location points elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repo } from './project.ts';

const CLI = join(repo, 'dist/cli/main.js');

/** Relative module specifiers a built file imports, statically or with import(). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']((?:\.\.?\/)[^"']+)["']/g)].map((m) => m[1]!);
}

test('the forkpool command is a bundle whose only relative imports are the shared objects, the error classes and two utilities', () => {
  const specs = [...new Set(relativeImports(CLI))];
  assert.ok(specs.length > 0 && specs.length <= 8, `relative imports: ${specs.join(', ')}`);
  for (const spec of specs) {
    const target = resolve(dirname(CLI), spec);
    assert.ok(existsSync(target), `${spec} does not exist beside the bundle`);
    assert.match(target.slice(join(repo, 'dist').length), /^\/(shared\/|errors\.js$|util\/(deque|timers)\.js$)/, `the bundle imports ${spec}`);
  }
});

test('the bundled command loads a few dozen files, finds its package.json and worker entry, and runs items', () => {
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
  assert.ok(loaded.size < 60, `${loaded.size} files of dist/ loaded by forkpool run`);
});
