// SharedDict.update() takes exactly what manager.dict() takes, checked by the
// same function, all or nothing; SharedList's bulk methods refuse non-iterables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager } from '../../dist/shared/index.js';
import { checksPool, INVALID, runtime, outcome } from './helpers.ts';
// @ts-expect-error: a plain .mjs fixture without types
import { BAD_SOURCES } from '../fixtures/shared/checks.mjs';

const pool = checksPool;

test('SharedDict.update() refuses what manager.dict() refuses, with ERR_FORKPOOL_INVALID_ARG naming the value, and changes nothing', async () => {
  await using m = new Manager();
  const d = m.dict<unknown>({ a: 1 });
  for (const [name, source] of Object.entries(BAD_SOURCES as Record<string, unknown>)) {
    assert.throws(() => m.dict(source as never), { name: 'TypeError', code: 'ERR_FORKPOOL_INVALID_ARG' }, `manager.dict(${name})`);
    await assert.rejects(d.update(source as never), (e: Error & { code?: string }) => {
      assert.equal(`${e.name} ${e.code}`, INVALID, `update(${name})`);
      assert.match(e.message, /SharedDict\.update\(\)/);
      return true;
    });
  }
  assert.deepEqual(await d.toObject(), { a: 1 }, 'no bad update changed anything');
  await assert.rejects(d.update('ab' as never), /got "ab"/);
  await assert.rejects(d.update([['k']] as never), /got \["k"\]/);
  await d.update(new Map([['b', 2]]));
  await d.update([['c', 3]]);
  await d.update({ e: 5 });
  assert.deepEqual(await d.toObject(), { a: 1, b: 2, c: 3, e: 5 });
  // What docs/manager.md also names: a class instance (its own enumerable properties), a Set of pairs, a generator.
  class Point { x = 1; y = 2; get sum() { return this.x + this.y; } }
  await d.update(new Point());
  await d.update(new Set([['f', 6]]));
  await d.update((function* () { yield ['g', 7]; })());
  assert.deepEqual(await d.toObject(), { a: 1, b: 2, c: 3, e: 5, x: 1, y: 2, f: 6, g: 7 });
  assert.deepEqual(await m.dict(new Point()).toObject(), { x: 1, y: 2 });
});

test(`[${runtime}] SharedDict.update() from a worker refuses the same sources and changes nothing`, async () => {
  await using p = pool();
  await using m = new Manager();
  const d = m.dict({ a: 1 });
  const { out, after } = await p.apply('dictUpdateBad', [d]) as { out: Record<string, string>; after: unknown };
  for (const name of Object.keys(BAD_SOURCES as object)) assert.equal(out[name], INVALID, `update(${name}) in a worker`);
  assert.deepEqual(after, { a: 1 });
});

test('SharedList.extend() and manager.list() refuse what is not iterable', async () => {
  await using m = new Manager();
  const l = m.list<unknown>([1]);
  for (const bad of [5, null, true, {}, () => 1]) {
    assert.equal(await outcome(l.extend(bad as never)), INVALID, `extend(${String(bad)})`);
    assert.throws(() => m.list(bad as never), { code: 'ERR_FORKPOOL_INVALID_ARG' });
  }
  assert.deepEqual(await l.toArray(), [1]);
});
