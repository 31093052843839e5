import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { moduleCandidates, resolveModulePath, resolveModuleUrl, taskModuleHref } from '../../src/runtime/module-path.ts';

let dir = '';
const at = (name: string) => join(dir, name);
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'forkpool-module-path-'));
  for (const f of ['built.js', 'built.mjs', 'built.cjs', 'source.ts', 'source.mts', 'source.cts', 'both.js', 'both.ts', 'component.tsx']) writeFileSync(at(f), '');
  mkdirSync(at('folder.js'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a file that exists is used as named, even when its sibling exists too', () => {
  assert.equal(resolveModulePath(at('both.ts')), at('both.ts'));
  assert.equal(resolveModulePath(at('both.js')), at('both.js'));
  assert.equal(resolveModulePath(at('built.js')), at('built.js'));
});

test('a missing .ts, .mts or .cts resolves to its compiled .js, .mjs or .cjs', () => {
  assert.equal(resolveModulePath(at('built.ts')), at('built.js'));
  assert.equal(resolveModulePath(at('built.mts')), at('built.mjs'));
  assert.equal(resolveModulePath(at('built.cts')), at('built.cjs'));
});

test('a missing .js, .mjs or .cjs resolves to its TypeScript source', () => {
  assert.equal(resolveModulePath(at('source.js')), at('source.ts'));
  assert.equal(resolveModulePath(at('source.mjs')), at('source.mts'));
  assert.equal(resolveModulePath(at('source.cjs')), at('source.cts'));
  assert.equal(resolveModulePath(at('component.js')), at('component.tsx'));
});

test('module kinds never cross: a missing .mjs does not resolve to a .ts, nor a .cts to a .js', () => {
  assert.equal(resolveModulePath(at('built.cts')), at('built.cjs')); // not built.js
  assert.equal(resolveModulePath(at('built.mts').replace('built', 'source')), at('source.mts'));
  assert.equal(resolveModulePath(at('only-ts.mjs')), undefined);
  writeFileSync(at('only-ts.ts'), '');
  assert.equal(resolveModulePath(at('only-ts.mjs')), undefined);
});

test('nothing found, a folder, or a name without a script extension gives undefined', () => {
  assert.equal(resolveModulePath(at('missing.ts')), undefined);
  assert.equal(resolveModulePath(at('folder.js')), undefined);
  assert.equal(resolveModulePath(at('built')), undefined);
  assert.equal(resolveModulePath(at('built.json')), undefined);
});

test('the candidates tried are the named path first, then its siblings in order', () => {
  assert.deepEqual(moduleCandidates('/a/tasks.js'), ['/a/tasks.js', '/a/tasks.ts', '/a/tasks.tsx']);
  assert.deepEqual(moduleCandidates('/a/tasks.ts'), ['/a/tasks.ts', '/a/tasks.js']);
  assert.deepEqual(moduleCandidates('/a/TASKS.MTS'), ['/a/TASKS.MTS', '/a/TASKS.MJS']);
  assert.deepEqual(moduleCandidates('/a/tasks.json'), ['/a/tasks.json']);
});

test('a file: URL resolves the same way and keeps its query and hash', () => {
  const url = pathToFileURL(at('built.ts'));
  url.search = '?v=2';
  url.hash = '#x';
  const found = resolveModuleUrl(url)!;
  assert.equal(found.pathname, pathToFileURL(at('built.js')).pathname);
  assert.equal(found.search, '?v=2');
  assert.equal(found.hash, '#x');
  const same = pathToFileURL(at('both.ts'));
  assert.equal(resolveModuleUrl(same), same);
  assert.equal(resolveModuleUrl(pathToFileURL(at('missing.ts'))), undefined);
});

test('taskModuleHref gives the href to load, or a TypeError naming every file looked for', () => {
  assert.equal(taskModuleHref(pathToFileURL(at('built.ts'))), pathToFileURL(at('built.js')).href);
  assert.throws(() => taskModuleHref(pathToFileURL(at('missing.js'))), (err: TypeError & { code?: string }) => {
    assert.equal(err.name, 'TypeError');
    assert.equal(err.code, 'ERR_FORKPOOL_INVALID_ARG');
    assert.equal(err.message, `The task module does not exist: ${at('missing.js')} (nor missing.ts or missing.tsx)`);
    return true;
  });
});
