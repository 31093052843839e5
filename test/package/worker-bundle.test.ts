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

test('the worker entry is one bundle: its only relative imports are the command reader and the shared-object runtime, loaded lazily', () => {
  const entry = join(workerDir, 'worker-entry.js');
  const s = specifiers(entry);
  assert.deepEqual(relative(s.static), [], `static relative imports left in the bundle: ${relative(s.static).join(', ')}`);
  const lazy = relative(s.dynamic);
  assert.ok(lazy.includes('./command-reader.js'), `expected import("./command-reader.js"), got ${lazy.join(', ')}`);
  for (const spec of lazy) {
    assert.ok(spec === './command-reader.js' || spec.startsWith('../shared/'), `unexpected lazy import ${spec}`);
    assert.ok(existsSync(resolve(dirname(entry), spec)), `${spec} does not exist beside the bundle`);
  }
});

test('a worker thread does not load node:net: only the command reader, a separate bundle, imports it', () => {
  const entry = specifiers(join(workerDir, 'worker-entry.js'));
  assert.ok(!entry.static.includes('node:net') && !entry.static.includes('net'), `the entry imports node:net: ${entry.static.join(', ')}`);
  const reader = specifiers(join(workerDir, 'command-reader.js'));
  assert.ok(reader.static.includes('node:net'), 'the command reader is expected to read its pipe through node:net');
  assert.deepEqual([...relative(reader.static), ...relative(reader.dynamic)], [], 'the command reader bundle imports no other file of ours');
});

test("the bundles carry source maps back to src/, so stack traces under --enable-source-maps name the TypeScript files", () => {
  for (const f of ['worker-entry.js', 'command-reader.js']) {
    const map = JSON.parse(readFileSync(join(workerDir, `${f}.map`), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    assert.ok(map.sources.some((s) => s.endsWith(`src/worker/${f.replace(/\.js$/, '.ts')}`)), `${f}.map sources: ${map.sources.join(', ')}`);
    assert.equal(map.sourcesContent?.length, map.sources.length, `${f}.map should inline its sources (the package ships no src/)`);
  }
});
