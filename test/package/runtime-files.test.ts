import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from './project.ts';
import { isTypeScript, prepareTypeScript, TypeScriptLoaderError, NO_TYPESCRIPT_LOADER } from '../../src/worker/typescript-loader.ts';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

test('checkWorkerEntry passes where the worker entry was built beside it', async () => {
  const { checkWorkerEntry } = await import(pathToFileURL(join(repo, 'dist/runtime/entry-path.js')).href) as typeof import('../../src/runtime/entry-path.ts');
  assert.doesNotThrow(() => checkWorkerEntry());
});

test('checkWorkerEntry throws a coded error naming the missing file and the fix when it is not beside it (a bundle)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-entry-'));
  dirs.push(dir);
  // entry-path.js alone, as a bundler leaves it: inlined into a file with no worker/worker-entry.js near it.
  copyFileSync(join(repo, 'dist/runtime/entry-path.js'), join(dir, 'bundle.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const { checkWorkerEntry } = await import(pathToFileURL(join(dir, 'bundle.js')).href) as typeof import('../../src/runtime/entry-path.ts');
  assert.throws(() => checkWorkerEntry(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_FORKPOOL_WORKER_ENTRY_MISSING');
    assert.ok(err.message.includes(join(dir, '..', 'worker', 'worker-entry.js')), err.message);
    assert.match(err.message, /external/);
    assert.match(err.message, /docs\/bundling\.md/);
    return true;
  });
});

test('only TypeScript module URLs need a TypeScript loader', async () => {
  for (const ext of ['ts', 'mts', 'cts', 'tsx', 'TS']) assert.equal(isTypeScript(`file:///a/tasks.${ext}`), true, ext);
  for (const ext of ['js', 'mjs', 'cjs', 'json']) assert.equal(isTypeScript(`file:///a/tasks.${ext}`), false, ext);
  assert.equal(await prepareTypeScript('file:///a/tasks.mjs'), undefined);
});

test('with tsx installed (as here), a TypeScript module is loaded through tsx', async () => {
  assert.equal(await prepareTypeScript('file:///a/tasks.ts'), 'tsx');
});

test('the no-loader error names the module and the fix, and carries a stable code', () => {
  const err = new TypeScriptLoaderError('/app/tasks.ts');
  assert.equal(err.code, NO_TYPESCRIPT_LOADER);
  assert.equal(err.name, 'TypeScriptLoaderError');
  assert.equal(err.modulePath, '/app/tasks.ts');
  assert.match(err.message, /\/app\/tasks\.ts/);
  assert.match(err.message, /npm i -D tsx/);
  assert.match(err.message, /--experimental-strip-types/);
});
