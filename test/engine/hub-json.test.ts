/**
 * Shared-object traffic as JSON frames (src/protocol/compact-json.ts): plain
 * data takes JSON, and anything JSON would not bring back exactly takes the
 * V8 path, so every message reads back as the structured clone would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecodeError, FrameReader, encodeFrame } from '../../src/protocol/framing.ts';
import { JSON_TAG } from '../../src/protocol/compact-json.ts';
import { MAX_COMPACT_FRAME, encodeCompactInto } from '../../src/protocol/compact.ts';

const V8_TAG = 0xff;

function roundTrip(message: unknown): { tag: number; out: unknown } {
  const frame = Buffer.concat(encodeFrame(message));
  const out: unknown[] = [];
  // A reused read buffer, as the process runtime reads: nothing may point into it afterwards.
  const reader = new FrameReader({ reusedChunks: true });
  const chunk = Buffer.from(frame);
  reader.push(chunk, (m) => out.push(m));
  chunk.fill(0xee);
  assert.equal(out.length, 1);
  return { tag: frame[4]!, out: out[0] };
}

const hub = (m: unknown) => ({ t: 'hub', m });

test('hub messages of plain data take the JSON frame and read back equal', () => {
  const plain = [
    hub({ k: 'q', r: 1, o: 2, op: 'recv', a: [1] }),
    hub({ k: 'n', o: 2, op: 'send', a: [0, 'héllo ✓ 🎉 \ud800 "quoted" \n'] }),
    hub({ k: 'r', r: 7, v: { i: 3, s: 'abc', list: [1, 2.5, -3e300, true, false, null], nested: { deep: [[{}]] } } }),
    hub({ k: 'b', m: [{ k: 'q', r: 1, o: 1, op: 'take', a: [1] }, { k: 'q', r: 2, o: 1, op: 'puts', a: [[{ i: 0 }, { i: 1 }]] }] }),
    hub({ k: 'o', o: 4, v: { e: 1, w: 'w3' } }),
    hub({ k: 'r', r: 8, v: Object.assign(Object.create(null), { a: 1 }) }),
  ];
  for (const m of plain) {
    const { tag, out } = roundTrip(m);
    assert.equal(tag, JSON_TAG, JSON.stringify(m));
    assert.deepEqual(out, structuredClone(m));
  }
});

test('a field of the message itself that is undefined is dropped, and reads back as undefined', () => {
  const { tag, out } = roundTrip(hub({ k: 'r', r: 9, v: undefined }));
  assert.equal(tag, JSON_TAG);
  assert.deepEqual(out, hub({ k: 'r', r: 9 }));
  assert.equal((out as { m: { v?: unknown } }).m.v, undefined);
});

test('values JSON would change take the V8 path and read back exactly', () => {
  class Point { constructor(readonly x: number) {} }
  const sparse = [1, , 3];
  const named = Object.assign([1, 2], { extra: true });
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  const values: unknown[] = [
    [undefined], NaN, -0, Infinity, 10n, new Map([[1, 2]]), new Set([1]), new Uint8Array([1, 2]),
    new Date(0), /x/g, sparse, named, new Point(1), new Proxy({ a: 1 }, {}),
    { a: undefined }, deep, 'x'.repeat(5000), Array.from({ length: 1000 }, (_, i) => i),
  ];
  for (const v of values) {
    const m = hub({ k: 'r', r: 1, v });
    let expected: unknown;
    try { expected = structuredClone(m); } catch { continue; /* not cloneable at all: the V8 path throws, as before */ }
    const { tag, out } = roundTrip(m);
    assert.equal(tag, V8_TAG, `${String(v).slice(0, 40)} took the V8 path`);
    assert.deepEqual(out, expected);
  }
  // -0 and NaN keep their identity.
  assert.ok(Object.is((roundTrip(hub({ k: 'r', r: 1, v: -0 })).out as { m: { v: number } }).m.v, -0));
  assert.ok(Number.isNaN((roundTrip(hub({ k: 'r', r: 1, v: NaN })).out as { m: { v: number } }).m.v));
});

test('an enumerable getter is read once, as the structured clone reads it', () => {
  let reads = 0;
  const v = { get g() { reads++; return 'x'; } };
  const { tag, out } = roundTrip(hub({ k: 'r', r: 1, v }));
  assert.equal(tag, JSON_TAG);
  assert.equal(reads, 1);
  assert.deepEqual(out, hub({ k: 'r', r: 1, v: { g: 'x' } }));
});

test("a worker's reused buffer takes a JSON hub frame only when it fits", () => {
  const out = Buffer.alloc(MAX_COMPACT_FRAME);
  const small = hub({ k: 'n', o: 1, op: 'send', a: [0, 'hi'] });
  const n = encodeCompactInto(small, out);
  assert.ok(n > 5);
  assert.equal(out[4], JSON_TAG);
  const read: unknown[] = [];
  new FrameReader().push(out.subarray(0, n), (m) => read.push(m));
  assert.deepEqual(read, [small]);
  // 2,000 characters that take 3 bytes each: within the string budget, beyond the buffer.
  assert.equal(encodeCompactInto(hub({ k: 'n', o: 1, op: 'send', a: [0, '✓'.repeat(2000)] }), out), 0);
});

test('a JSON hub frame that does not parse is a FrameDecodeError, and the reader stays in step', () => {
  const payload = Buffer.concat([Buffer.from([JSON_TAG]), Buffer.from('{"t":"hub","m":')]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length, 0);
  const good = Buffer.concat(encodeFrame(hub({ k: 'r', r: 1, v: 2 })));
  const reader = new FrameReader();
  assert.throws(() => reader.push(Buffer.concat([header, payload]), () => {}), FrameDecodeError);
  const out: unknown[] = [];
  reader.push(good, (m) => out.push(m));
  assert.deepEqual(out, [hub({ k: 'r', r: 1, v: 2 })]);
});

// A worker's start-up messages take the JSON frame too, so a worker that runs
// only single calls of plain values never loads node:v8 (protocol/v8.ts).
const init = (initargs: unknown[]) => ({
  t: 'init', v: 2, module: 'file:///tmp/tasks.mjs', workerId: 3, h: undefined, initializer: 'setup', initargs,
  memoryLimit: undefined, hardMemoryLimit: undefined, runtime: 'process', logs: 0, concurrency: undefined, answersReady: 1,
});

test('init, ready and go of plain data take the JSON frame; undefined fields read back as undefined', () => {
  const exports = Array.from({ length: 300 }, (_, i) => `task${i}`);
  for (const m of [init([]), init([{ db: 'x', n: 2, list: [1, 'two', null] }]), { t: 'ready', v: 2, pid: 42, exports }, { t: 'go' }]) {
    const { tag, out } = roundTrip(m);
    assert.equal(tag, JSON_TAG, (m as { t: string }).t);
    assert.deepEqual(out, JSON.parse(JSON.stringify(m)));
  }
  const { out } = roundTrip(init([]));
  assert.equal((out as { memoryLimit?: number }).memoryLimit, undefined);
  assert.equal((out as { h?: number }).h, undefined);
});

test('an init whose initargs JSON would change takes the V8 path and reads back exactly', () => {
  for (const initargs of [[new Date(0)], [undefined], [NaN], [new Map([[1, 2]])], [Buffer.from('ab')], [[1, , 3]]]) {
    const m = init(initargs);
    const { tag, out } = roundTrip(m);
    assert.equal(tag, V8_TAG, String(initargs[0]));
    // (A Buffer crosses the process channel as a Buffer, where structuredClone would give a Uint8Array.)
    assert.deepEqual(out, m);
  }
  // Past the budget of one start-up message: V8 too.
  const { tag } = roundTrip({ t: 'ready', v: 2, pid: 1, exports: Array.from({ length: 5000 }, (_, i) => `t${i}`) });
  assert.equal(tag, V8_TAG);
});
