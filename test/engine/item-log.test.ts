// The item log's format (src/protocol/item-log.ts): what the parent reads
// back after a worker died mid-chunk. A torn or stale entry must read as the
// end of the log, never as a finished item: an item taken for finished is
// never blamed, and one taken for unfinished is at worst blamed for a crash.
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import assert from 'node:assert/strict';
import { ITEM_LOG_HEADER, ITEM_LOG_TRAILER, decodeItemLog, encodeItemEntry } from '../../src/protocol/item-log.ts';
import { encodeError } from '../../src/protocol/values.ts';

const scratch = Buffer.alloc(1024);

/** The entries one after another, as the worker writes them. */
function log(id: number, entries: Array<[ok: boolean, value: unknown]>): Buffer {
  return Buffer.concat(entries.map(([ok, value], i) => {
    const entry = encodeItemEntry(scratch, id, i, i + 0.5, ok, value);
    return Buffer.from(entry.bytes.subarray(0, entry.length));
  }));
}

test('the item log reads back numbers, structured values and errors, in order, with each item\'s time', () => {
  const bytes = log(7, [[true, 42], [true, { a: [1, 'x'], d: new Date(5) }], [false, encodeError(new RangeError('too big'))]]);
  const read = decodeItemLog(bytes)!;
  assert.equal(read.id, 7);
  assert.equal(read.items.length, 3);
  assert.deepEqual(read.items[0], { ms: 0.5, ok: true, value: 42 });
  assert.deepEqual(read.items[1], { ms: 1.5, ok: true, value: { a: [1, 'x'], d: new Date(5) } });
  const failed = read.items[2]!;
  assert.ok(!failed.ok && failed.error.name === 'RangeError' && failed.error.message === 'too big');
});

test('every kind of value reads back as the channel would carry it: JSON only where JSON is exact, V8 for the rest', () => {
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const values: unknown[] = [
    'text', '', 'ü→😀', 'x'.repeat(2000), undefined, null, true, 0, -0, NaN, Infinity, 2 ** 60,
    { a: 1, b: ['x', { c: null }] }, [], {}, { u: undefined }, sparse, new Date(7), new Map([[1, 2]]), 10n,
    new Uint8Array([1, 2, 3]), { d: new Date(9) }, Object.assign(Object.create(null), { p: 1 }), JSON.parse('{"__proto__": 5}'),
    Array.from({ length: 3000 }, (_, i) => i),
  ];
  const read = decodeItemLog(log(2, values.map((v) => [true, v])))!;
  assert.equal(read.items.length, values.length);
  read.items.forEach((item, i) => {
    assert.ok(item.ok);
    // What the worker's channel would have carried: V8's serializer (a null-prototype object comes back plain).
    assert.deepStrictEqual(item.value, deserialize(serialize(values[i])), `value ${i}`);
  });
  // An own "__proto__" key is kept as a key, and -0 stays -0.
  assert.ok(Object.hasOwn(read.items[values.length - 2]!.ok && read.items[values.length - 2]!.value as object, '__proto__'));
  assert.ok(Object.is(read.items[8]!.ok && read.items[8]!.value, -0));
  assert.equal(read.items[16]!.ok && 1 in (read.items[16]!.value as unknown[]), false, 'a hole stays a hole');
});

test('a torn last entry (a write cut short) ends the log before it', () => {
  const values = [1, 'two', 'three'];
  const whole = log(9, values.map((v) => [true, v]));
  // Where each entry ends in the file.
  const ends = values.map((_, i) => log(9, values.slice(0, i + 1).map((v) => [true, v])).length);
  for (let cut = 1; cut < whole.length; cut++) {
    const read = decodeItemLog(whole.subarray(0, cut));
    const complete = values.filter((_, i) => ends[i]! <= cut);
    assert.deepEqual(read?.items.map((x) => (x.ok ? x.value : undefined)) ?? [], complete, `cut at ${cut}`);
  }
});

test('bytes left from an earlier, longer chunk are not read as items of the new one', () => {
  const old = log(3, [[true, 'a'], [true, 'b'], [true, 'c'], [true, 'd']]);
  const fresh = log(4, [[true, 'x']]);
  // The new chunk wrote one entry over the start of the old chunk's four.
  const file = Buffer.from(old);
  fresh.copy(file, 0);
  assert.deepEqual(decodeItemLog(file), { id: 4, items: [{ ms: 0.5, ok: true, value: 'x' }] });
  // A torn second entry of the new chunk whose bytes happen to end where an old entry did still needs its own trailer.
  const torn = Buffer.from(file);
  const second = encodeItemEntry(scratch, 4, 1, 1, true, 'y');
  second.bytes.copy(torn, fresh.length, 0, ITEM_LOG_HEADER);
  assert.equal(decodeItemLog(torn)!.items.length, 1);
});

test('an empty or zeroed log holds no chunk', () => {
  assert.equal(decodeItemLog(Buffer.alloc(0)), undefined);
  assert.equal(decodeItemLog(Buffer.alloc(ITEM_LOG_HEADER + ITEM_LOG_TRAILER + 8)), undefined);
});

test('an entry larger than the scratch buffer is built in a buffer of its own', () => {
  const big = 'z'.repeat(4096);
  const { bytes, length } = encodeItemEntry(scratch, 1, 0, 2, true, big);
  assert.notEqual(bytes, scratch);
  assert.deepEqual(decodeItemLog(bytes.subarray(0, length))!.items, [{ ms: 2, ok: true, value: big }]);
});

test('an entry written whole whose value cannot be read here fails that item alone; the entries after it still count', () => {
  const bytes = log(5, [[true, 'a'], [true, { deep: 1 }], [true, 'c']]);
  // Corrupt the second entry's JSON body without touching its framing.
  const second = bytes.indexOf('{"deep":1}');
  bytes.write('{"deep":!', second, 'utf8');
  const read = decodeItemLog(bytes)!;
  assert.equal(read.items.length, 3);
  assert.deepEqual(read.items[0], { ms: 0.5, ok: true, value: 'a' });
  const bad = read.items[1]!;
  assert.ok(!bad.ok && bad.error.name === 'DataCloneError', String(!bad.ok && bad.error));
  assert.deepEqual(read.items[2], { ms: 2.5, ok: true, value: 'c' });
});
