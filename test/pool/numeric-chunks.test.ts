// Chunks of numbers cross as Float64Arrays (src/protocol/numeric.ts). These
// tests pin that callers cannot tell: same values, same plain arrays, and the
// plain-array path whenever one value is not a number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as basic from '../fixtures/basic.ts';
import type * as numeric from '../fixtures/numeric.ts';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const SPECIAL = [NaN, -0, 0, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 5e-324, 1.7976931348623157e308, 0.1 + 0.2];

test('numbers of every kind come back from a map unchanged, as a plain array', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const items = Array.from({ length: 400 }, (_, i) => SPECIAL[i % SPECIAL.length]! * (i % 3 === 0 ? 1 : -1));
  for (const chunksize of [undefined, 15, 16, 17, 400]) {
    const back = await pool.map('echo', items, { chunksize });
    assert.ok(Array.isArray(back), `chunksize ${chunksize}: a plain array`);
    assert.equal(back.length, items.length);
    for (let i = 0; i < items.length; i++) assert.ok(Object.is(back[i], items[i]), `chunksize ${chunksize}, item ${i}: ${back[i]} is ${items[i]}`);
  }
  assert.deepEqual(await pool.map('double', Array.from({ length: 1000 }, (_, i) => i), { chunksize: 100 }), Array.from({ length: 1000 }, (_, i) => 2 * i));
});

test('a chunk with one non-number, or one item that throws, keeps every other value exact', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const items: unknown[] = Array.from({ length: 64 }, (_, i) => i + 0.5);
  items[40] = 'forty';
  items[41] = 7n;
  items[42] = undefined;
  const back = await pool.map('echo', items as number[], { chunksize: 64 });
  assert.deepEqual(back, items);
  // Number items whose results are not all numbers: the values go as a plain array.
  const strings = await pool.map('echo', Array.from({ length: 32 }, (_, i) => (i === 31 ? 'last' : i)) as number[], { chunksize: 32 });
  assert.equal(strings[31], 'last');
  assert.equal(strings[30], 30);
  // One item throws in an all-number chunk: the map fails with that item's error, as before.
  const failing = Array.from({ length: 32 }, (_, i) => i);
  await assert.rejects(pool.map('fail', failing.map((i) => `item ${i}`) as never, { chunksize: 32 }), /item 0/);
});

test('imap and imapUnordered deliver numeric chunks item by item with the right values', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const items = Array.from({ length: 500 }, (_, i) => i - 250.25);
  const ordered: number[] = [];
  for await (const v of pool.imap('double', items, { chunksize: 50 })) ordered.push(v);
  assert.deepEqual(ordered, items.map((x) => x * 2));
  const unordered: number[] = [];
  for await (const v of pool.imapUnordered('double', items, { chunksize: 50 })) unordered.push(v);
  assert.deepEqual(unordered.sort((a, b) => a - b), items.map((x) => x * 2).sort((a, b) => a - b));
});

test('a chunk whose results are numbers up to a string or a throw in the middle keeps every value before and after', async () => {
  await using pool = await makePool<typeof numeric>(fixture('numeric.ts'), opts);
  const items = Array.from({ length: 64 }, (_, i) => i);
  // The worker writes results straight into a Float64Array until the first
  // one that is not a number; from there they go as a plain array.
  const mixed = await pool.map('doubleTextAt20', items, { chunksize: 64 });
  assert.deepEqual(mixed, items.map((x) => (x === 20 ? 'twenty' : x * 2)));
  // A throw at item 20: imap shows the 20 values before it, then the error.
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const v of pool.imap('doubleFailAt20', items, { chunksize: 64 })) seen.push(v);
  }, /item 20/);
  assert.deepEqual(seen, items.slice(0, 20).map((x) => x * 2));
  await assert.rejects(pool.map('doubleFailAt20', items, { chunksize: 64 }), /item 20/);
});
