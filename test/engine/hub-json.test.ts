/**
 * Shared-object traffic as JSON frames (src/protocol/compact-json.ts): plain
 * data takes JSON, and anything JSON would not bring back exactly takes the
 * V8 path, so every message reads back as the structured clone would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecodeError, FrameReader, encodeFrame } from '../../src/protocol/framing.ts';
import { HUB_JSON } from '../../src/protocol/compact-json.ts';
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
    assert.equal(tag, HUB_JSON, JSON.stringify(m));
    assert.deepEqual(out, structuredClone(m));
  }
});

test('a field of the message itself that is undefined is dropped, and reads back as undefined', () => {
  const { tag, out } = roundTrip(hub({ k: 'r', r: 9, v: undefined }));
  assert.equal(tag, HUB_JSON);
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
  assert.equal(tag, HUB_JSON);
  assert.equal(reads, 1);
  assert.deepEqual(out, hub({ k: 'r', r: 1, v: { g: 'x' } }));
});

test("a worker's reused buffer takes a JSON hub frame only when it fits", () => {
  const out = Buffer.alloc(MAX_COMPACT_FRAME);
  const small = hub({ k: 'n', o: 1, op: 'send', a: [0, 'hi'] });
  const n = encodeCompactInto(small, out);
  assert.ok(n > 5);
  assert.equal(out[4], HUB_JSON);
  const read: unknown[] = [];
  new FrameReader().push(out.subarray(0, n), (m) => read.push(m));
  assert.deepEqual(read, [small]);
  // 2,000 characters that take 3 bytes each: within the string budget, beyond the buffer.
  assert.equal(encodeCompactInto(hub({ k: 'n', o: 1, op: 'send', a: [0, '✓'.repeat(2000)] }), out), 0);
});

test('a JSON hub frame that does not parse is a FrameDecodeError, and the reader stays in step', () => {
  const payload = Buffer.concat([Buffer.from([HUB_JSON]), Buffer.from('{"t":"hub","m":')]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length, 0);
  const good = Buffer.concat(encodeFrame(hub({ k: 'r', r: 1, v: 2 })));
  const reader = new FrameReader();
  assert.throws(() => reader.push(Buffer.concat([header, payload]), () => {}), FrameDecodeError);
  const out: unknown[] = [];
  reader.push(good, (m) => out.push(m));
  assert.deepEqual(out, [hub({ k: 'r', r: 1, v: 2 })]);
});
