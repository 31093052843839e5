/**
 * The build bundles a worker's start-up files (scripts/bundle-worker.mjs):
 * each file Node's ESM loader resolves and links costs a worker start-up
 * time. These checks fail if the build stops bundling, or if a change makes
 * a bundle load what it should not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repo } from './project.ts';

const workerDir = join(repo, 'dist/worker');

/** Every module specifier a built file imports, statically or with import(). */
function specifiers(file: string): { static: string[]; dynamic: string[] } {
  const text = readFileSync(file, 'utf8');
  const stat = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1]!);
  const dyn = [...text.matchAll(/\bimport\(\s*["'`]([^"'`$]+)["'`]\s*\)/g)].map((m) => m[1]!);
  return { static: stat, dynamic: dyn };
}

const relative = (specs: string[]) => specs.filter((s) => s.startsWith('.'));

test('the worker entry is one bundle: its only relative imports are of the shared-object runtime, loaded lazily', () => {
  const entry = join(workerDir, 'worker-entry.js');
  const s = specifiers(entry);
  assert.deepEqual(relative(s.static), [], `static relative imports left in the bundle: ${relative(s.static).join(', ')}`);
  for (const spec of relative(s.dynamic)) {
    assert.ok(spec.startsWith('../shared/'), `unexpected lazy import ${spec}`);
    assert.ok(existsSync(resolve(dirname(entry), spec)), `${spec} does not exist beside the bundle`);
  }
});

test('the worker entry does not import node:net: a worker thread never loads it, a worker process only once it is ready', () => {
  const entry = specifiers(join(workerDir, 'worker-entry.js'));
  const all = [...entry.static, ...entry.dynamic];
  assert.ok(!all.includes('node:net') && !all.includes('net'), `the entry imports node:net: ${all.join(', ')}`);
});

test("the bundle carries source maps back to src/, so stack traces under --enable-source-maps name the TypeScript files", () => {
  for (const f of ['worker-entry.js']) {
    const map = JSON.parse(readFileSync(join(workerDir, `${f}.map`), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    assert.ok(map.sources.some((s) => s.endsWith(`src/worker/${f.replace(/\.js$/, '.ts')}`)), `${f}.map sources: ${map.sources.join(', ')}`);
    assert.equal(map.sourcesContent?.length, map.sources.length, `${f}.map should inline its sources (the package ships no src/)`);
  }
});
