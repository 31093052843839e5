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

test('a cycle through a shared object stays a cycle, and an object reached twice is copied once', async () => {
  await using m = new Manager();
  const v = m.value(1);
  const a: unknown[] = [v];
  a.push(a);
  const enc = encodeShared(a);
  assert.equal(enc.found, true);
  const out = enc.value as unknown[];
  assert.notEqual(out, a, "the caller's array is not mutated");
  assert.equal(a[0], v);
  assert.equal(out[1], out, 'the copy points at itself, as the original did');
  const back = decodeShared(deserialize(serialize(out))) as unknown[];
  assert.equal(back[0], v);
  assert.equal(back[1], back);
  const inner = { v };
  const twice = encodeShared([inner, inner]).value as unknown[];
  assert.equal(twice[0], twice[1]);
});

test('values whose cycles branch at every level are walked once per object (an unrolling walk takes 2^64 steps)', async () => {
  await using m = new Manager();
  const v = m.value(1);
  const o: Record<string, unknown> = { v };
  o.a = o;
  o.b = o;
  o.c = [o, o, new Map([[o, o]])];
  const started = performance.now();
  const out = encodeShared([o]).value as [Record<string, unknown>];
  assert.ok(performance.now() - started < 2_000, 'the walk ends');
  assert.equal(out[0].a, out[0]);
  assert.equal((out[0].c as unknown[])[1], out[0]);
  const back = decodeShared(deserialize(serialize(out))) as [Record<string, unknown>];
  assert.equal(back[0].v, v);
  assert.equal(back[0].b, back[0]);
});

test('a shared object in a class instance, a Map key or a null-prototype object is encoded; Dates and typed arrays are left alone', async () => {
  await using m = new Manager();
  const list = m.list();
  class Job { constructor(readonly list: unknown) {} }
  const bare = Object.assign(Object.create(null) as object, { list });
  const when = new Date(5);
  const bytes = new Uint8Array(3);
  const args = [new Job(list), new Map([[list, 'k']]), bare, when, bytes];
  const enc = encodeShared(args);
  assert.equal(enc.found, true);
  const back = decodeShared(deserialize(serialize(enc.value))) as [{ list: unknown }, Map<unknown, string>, { list: unknown }, Date, Uint8Array];
  assert.equal(back[0].list, list);
  assert.equal([...back[1].keys()][0], list);
  assert.equal(back[2].list, list);
  assert.equal(Object.getPrototypeOf((enc.value as unknown[])[2]), null, 'the copy keeps its null prototype (structured clone then makes it plain, as it would the original)');
  assert.equal((enc.value as unknown[])[3], when);
  assert.equal((enc.value as unknown[])[4], bytes);
});

test('an argument whose Proxy traps throw does not make the walk throw: it travels as it is', async () => {
  await using m = new Manager();
  const v = m.value(1);
  const hostile = new Proxy({}, { has() { throw new Error('has'); }, ownKeys() { throw new Error('ownKeys'); }, getPrototypeOf() { throw new Error('proto'); } });
  const enc = encodeShared([v, { hostile }]);
  assert.equal(enc.found, true);
  assert.equal(((enc.value as unknown[])[1] as { hostile: unknown }).hostile, hostile);
});

test('a handle of an object whose Manager was shut down decodes to a proxy that fails clearly', async () => {
  const m = new Manager();
  const list = m.list();
  const enc = encodeShared([list]);
  await m.shutdown();
  const [dead] = decodeShared(deserialize(serialize(enc.value))) as [typeof list];
  await assert.rejects(dead.length(), { code: 'ERR_FORKPOOL_MANAGER_SHUTDOWN' });
});
