// The handle codec: shared objects travel as small handles, everything else untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, deserialize } from 'node:v8';
import { encodeShared, decodeShared } from '../../dist/shared/codec.js';
import { Manager, Queue } from '../../dist/shared/index.js';

test('values without shared objects come back as the same reference, found: false', () => {
  const args = [1, 'x', { a: [1, 2, { b: new Map([[1, { c: 2 }]]) }] }, new Uint8Array(4)];
  const enc = encodeShared(args);
  assert.equal(enc.found, false);
  assert.equal(enc.value, args);
  assert.equal(decodeShared(args), args);
});

test('a shared object nested in arrays, objects, Maps and Sets travels as a handle of a few bytes and comes back as itself', async () => {
  await using m = new Manager();
  const list = m.list<number>();
  await list.extend(Array.from({ length: 10_000 }, (_, i) => i));
  const q = new Queue();
  const args = [list, { deep: [{ q }], m: new Map([['k', list]]), s: new Set([q]) }];
  const enc = encodeShared(args);
  assert.equal(enc.found, true);
  assert.notEqual(enc.value, args, 'the caller\'s array is not mutated');
  assert.equal(args[0], list);
  const bytes = serialize(enc.value).length;
  assert.ok(bytes < 400, `a 10,000-item list crossed in ${bytes} bytes`);
  const back = decodeShared(deserialize(serialize(enc.value))) as typeof args;
  assert.equal(back[0], list);
  const rest = back[1] as { deep: [{ q: Queue }]; m: Map<string, unknown>; s: Set<unknown> };
  assert.equal(rest.deep[0].q, q);
  assert.equal(rest.m.get('k'), list);
  assert.ok(rest.s.has(q));
});

test('cyclic values do not loop forever', async () => {
  await using m = new Manager();
  const v = m.value(1);
  const a: unknown[] = [v];
  a.push(a);
  const enc = encodeShared(a);
  assert.equal(enc.found, true);
  assert.equal((enc.value as unknown[])[0] !== v, true);
});

test('a handle of an object whose Manager was shut down decodes to a proxy that fails clearly', async () => {
  const m = new Manager();
  const list = m.list();
  const enc = encodeShared([list]);
  await m.shutdown();
  const [dead] = decodeShared(deserialize(serialize(enc.value))) as [typeof list];
  await assert.rejects(dead.length(), { code: 'ERR_FORKPOOL_MANAGER_SHUTDOWN' });
});
