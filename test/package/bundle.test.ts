import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { makeProject, node, packForkpool, removeAll, tryRun } from './project.ts';

const packed = packForkpool();
const app = makeProject(packed);
after(() => removeAll(packed.dir, app));

/** The recipe in docs/bundling.md: the worker module is a second entry point, forkpool stays external. */
async function bundle(outdir: string, external: string[]): Promise<void> {
  await build({
    absWorkingDir: app,
    entryPoints: ['src/main.ts', 'src/tasks.ts'],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    logLevel: 'silent',
  });
}

test('an esbuild bundle with forkpool external runs its worker module from the bundle folder', async () => {
  await bundle('out', ['forkpool']);
  assert.ok(existsSync(join(app, 'out/tasks.js')));
  assert.deepEqual(node(['out/main.js'], app), { squares: [1, 4, 9, 16], where: 'worker' });
});

test('a bundle that inlines forkpool fails when the pool is created, naming the missing worker entry and the fix', async () => {
  await bundle('inlined', []);
  const r = tryRun(process.execPath, ['inlined/main.js'], app);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot find its worker entry: .*\/worker\/worker-entry\.js does not exist/);
  assert.match(r.stderr, /--external:forkpool/);
  assert.match(r.stderr, /ERR_FORKPOOL_WORKER_ENTRY_MISSING/);
});
