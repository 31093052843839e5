import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, node, packForkpool, removeAll, tsc } from './project.ts';

const packed = packForkpool();
const plain = makeProject(packed);
const withTsx = makeProject(packed, { tsx: true });
after(() => removeAll(packed.dir, plain, withTsx));

test('after tsc with an outDir, new URL("./tasks.ts") finds the compiled tasks.js', () => {
  tsc(plain);
  assert.ok(existsSync(join(plain, 'dist/tasks.js')) && !existsSync(join(plain, 'dist/tasks.ts')));
  assert.deepEqual(node(['dist/main.js'], plain), { squares: [1, 4, 9, 16], where: 'worker' });
});

test('under tsx in development, new URL("./tasks.js") finds the source tasks.ts', () => {
  assert.deepEqual(node(['--import', 'tsx', 'src/main-js-url.ts'], withTsx), { squares: [25, 36] });
});

test('a TypeScript worker module runs through tsx when the app has it installed', () => {
  assert.deepEqual(node(['ts-task.mjs'], withTsx), { squares: [49] });
});

test('a TypeScript worker module without tsx runs on Node type stripping, or fails to start naming the module and the fix', () => {
  const out = node(['ts-task.mjs'], plain) as { squares?: number[]; error?: Array<{ name: string; code?: string; message: string }> };
  if ((process.features as { typescript?: unknown }).typescript) {
    assert.deepEqual(out, { squares: [49] });
    return;
  }
  assert.ok(out.error, `expected a start failure, got ${JSON.stringify(out)}`);
  const [broken, ...causes] = out.error;
  assert.equal(broken!.code, 'ERR_FORKPOOL_POOL_BROKEN');
  // At the first failure: every retry would find no loader either.
  assert.match(broken!.message, /a worker failed to start, and no retry would help/);
  const root = causes.find((e) => e.code === 'ERR_FORKPOOL_NO_TYPESCRIPT_LOADER');
  assert.ok(root, `expected a TypeScriptLoaderError in the cause chain, got ${JSON.stringify(out.error)}`);
  assert.equal(root.name, 'TypeScriptLoaderError');
  assert.match(root.message, /src\/tasks\.ts/);
  assert.match(root.message, /npm i -D tsx/);
});
