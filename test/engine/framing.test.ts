/** Frames on the process runtime's pipes, without processes (src/protocol/framing.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptStreamError, FrameDecodeError, FrameReader, MAX_FRAME_BYTES, encodeFrame } from '../../src/protocol/framing.ts';
import { DONE_V8 } from '../../src/protocol/done-head.ts';

/** The first byte of a payload that goes through V8: its version tag, or the head of a result (done-head.ts). */
const v8Start = (f: Buffer[]) => f[0]![4] === 0xff || f[0]![4] === DONE_V8;

/**
 * Feeds `bytes` in pieces of `step` bytes, as a socket delivers them: fresh
 * chunks, or (`reused`) one buffer that is overwritten after every push, as
 * with a socket's `onread` buffer. A message that still pointed into it
 * would come out garbled.
 */
function feed(reader: FrameReader, bytes: Buffer, step: number, reused: boolean, onMessage: (m: unknown) => void, onUndecodable?: (err: FrameDecodeError) => void): void {
  const buffer = Buffer.allocUnsafe(Math.min(step, bytes.length));
  // With `onUndecodable`, through `pushAll`, which reads on past frames that do not decode.
  const push = (chunk: Buffer) => (onUndecodable ? reader.pushAll(chunk, onMessage, onUndecodable) : reader.push(chunk, onMessage));
  for (let i = 0; i < bytes.length; i += step) {
    const piece = bytes.subarray(i, i + step);
    if (!reused) {
      push(piece);
      continue;
    }
    piece.copy(buffer);
    push(buffer.subarray(0, piece.length));
    buffer.fill(0xee);
  }
}

const MODES = [{ reused: false }, { reused: true }];

/** Reads `bytes` in pieces of each of `steps`, fresh and reused: `check` gets what came out each time. */
function readEveryWay(bytes: Buffer, steps: number[], check: (out: unknown[], reader: FrameReader, label: string) => void): void {
  for (const { reused } of MODES) {
    for (const step of steps) {
      const reader = new FrameReader({ reusedChunks: reused });
      const out: unknown[] = [];
      feed(reader, bytes, step, reused, (m) => out.push(m));
      check(out, reader, `step ${step}, reused ${reused}`);
    }
  }
}

/**
 * A whole frame with this payload is a FrameDecodeError, and the next frame
 * still reads: pushed after it, or in the same chunk behind it (with reused
 * chunks also when the bad frame was assembled across two reads).
 */
function assertRejectedInStep(payload: Buffer): void {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length, 0);
  const bad = Buffer.concat([header, payload]);
  const good = Buffer.concat(encodeFrame({ t: 'started', id: 9 }));
  for (const { reused } of MODES) {
    const reader = new FrameReader({ reusedChunks: reused });
    assert.throws(() => reader.push(Buffer.from(bad), () => {}), FrameDecodeError);
    const out: unknown[] = [];
    reader.push(Buffer.from(good), (m) => out.push(m));
    assert.deepEqual(out, [{ t: 'started', id: 9 }]);
    // Cut inside the bad frame; the good one arrives behind it in the second piece.
    const both = Buffer.concat([bad, good]);
    const cut = 4 + Math.ceil(payload.length / 2);
    const again = new FrameReader({ reusedChunks: reused });
    const later: unknown[] = [];
    // With reused chunks, one buffer overwritten after each push; otherwise fresh chunks.
    const shared = Buffer.alloc(both.length);
    const piece = (from: number, to: number) => (reused ? shared.subarray(0, both.copy(shared, 0, from, to)) : Buffer.from(both.subarray(from, to)));
    again.push(piece(0, cut), (m) => later.push(m));
    shared.fill(0xee);
    assert.throws(() => again.push(piece(cut, both.length), (m) => later.push(m)), FrameDecodeError);
    shared.fill(0xee);
    again.push(Buffer.alloc(0), (m) => later.push(m));
    assert.deepEqual(later, [{ t: 'started', id: 9 }], `reused ${reused}`);
  }
}

test('messages split across chunks at any byte arrive whole and in order', () => {
  const msgs = [{ a: 1 }, { b: Buffer.alloc(20_000, 7) }, 'x'.repeat(10), new Map([[1, 2]])];
  const bytes = Buffer.concat(msgs.flatMap((m) => encodeFrame(m)));
  readEveryWay(bytes, [1, 3, 4096, bytes.length], (out, reader, label) => {
    assert.deepEqual(out, msgs, label);
    assert.equal(reader.pending, 0);
  });
});

test('a length prefix above the limit is a CorruptStreamError, not a wait for bytes that never come', () => {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameReader().push(header, () => {}), CorruptStreamError);
});

test('a whole frame that does not deserialize is a FrameDecodeError and the reader stays in step', () => {
  const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(garbage.length, 0);
  const reader = new FrameReader();
  assert.throws(() => reader.push(Buffer.concat([header, garbage]), () => {}), FrameDecodeError);
  const out: unknown[] = [];
  reader.push(encodeFrame({ ok: true })[0]!, (m) => out.push(m));
  assert.deepEqual(out, [{ ok: true }]);
});

test('pushAll reads on past frames that do not decode, in one chunk or split, and reports each once', () => {
  const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(garbage.length, 0);
  const bad = Buffer.concat([header, garbage]);
  const good = (id: number) => Buffer.concat(encodeFrame({ t: 'started', id }));
  // Two bad frames among three good ones: every good one arrives, in order, and each bad one is reported.
  const bytes = Buffer.concat([good(1), bad, good(2), bad, good(3)]);
  for (const { reused } of MODES) {
    for (const step of [1, 5, 7, bytes.length]) {
      const reader = new FrameReader({ reusedChunks: reused });
      const out: unknown[] = [];
      const errors: Error[] = [];
      feed(reader, bytes, step, reused, (m) => out.push(m), (err) => errors.push(err));
      const label = `step ${step}, reused ${reused}`;
      assert.deepEqual(out, [1, 2, 3].map((id) => ({ t: 'started', id })), label);
      assert.equal(errors.length, 2, label);
      assert.ok(errors.every((e) => e instanceof FrameDecodeError), label);
      assert.equal(reader.pending, 0, label);
    }
  }
  // A broken stream and a broken handler still throw: neither is one bad message.
  const corrupt = Buffer.alloc(4);
  corrupt.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameReader().pushAll(corrupt, () => {}, () => {}), CorruptStreamError);
  assert.throws(() => new FrameReader().pushAll(good(4), () => { throw new TypeError('handler bug'); }, () => {}), /handler bug/);
});

test('started and primitive done events take the compact form and read back exactly, mixed with V8 frames and split anywhere', () => {
  const events = [
    { t: 'started', id: 1 },
    { t: 'done', id: 2, o: { ok: true, v: -0 }, ms: 0.25, nx: 3 },
    { t: 'done', id: 3, o: { ok: true, v: NaN }, ms: 0 },
    { t: 'done', id: 2 ** 40, o: { ok: true, v: 'héllo ✓ 🎉' }, ms: 1e-9, nx: 2 ** 40 + 1 },
    { t: 'done', id: 5, o: { ok: true, v: '' }, ms: 3 },
    { t: 'done', id: 6, o: { ok: true, v: undefined }, ms: 3 },
    { t: 'done', id: 7, o: { ok: true, v: null }, ms: 3 },
    { t: 'done', id: 8, o: { ok: true, v: true }, ms: 3 },
    { t: 'done', id: 9, o: { ok: true, v: false }, ms: 3 },
    { t: 'done', id: 10, o: { ok: true, v: Number.MAX_VALUE }, ms: 3 },
    // A chunk of one item (imap's default), compact too.
    { t: 'done', id: 16, v: [7.5], ms: 3, nx: 17 },
    { t: 'done', id: 17, v: ['one'], ms: 3 },
    // Not compact: a long string, an object, a failure, a value holding shared handles, a bigint,
    // a chunk of two, a chunk of one with its time or an error.
    { t: 'done', id: 11, o: { ok: true, v: 'x'.repeat(5000) }, ms: 3 },
    { t: 'done', id: 12, o: { ok: true, v: { a: 1 } }, ms: 3 },
    { t: 'done', id: 13, o: { ok: false, e: { name: 'Error', message: 'no' } }, ms: 3 },
    { t: 'done', id: 14, o: { ok: true, v: 1, h: 1 }, ms: 3 },
    { t: 'done', id: 15, o: { ok: true, v: 10n }, ms: 3 },
    { t: 'done', id: 18, v: [1, 2], ms: 3 },
    { t: 'done', id: 19, v: [1], it: [0.5], ms: 3 },
    { t: 'done', id: 20, v: [undefined], e: [[0, { name: 'Error', message: 'x' }]], ms: 3 },
  ];
  const frames = events.map((e) => encodeFrame(e));
  // The first twelve are single compact buffers (no V8 version tag after the length); the rest are V8, behind a head naming the task.
  frames.forEach((f, i) => assert.equal(f[0]![4] === DONE_V8, i >= 12, `event ${i}`));
  const bytes = Buffer.concat(frames.flat());
  readEveryWay(bytes, [1, 2, 5, 9, 64, bytes.length], (out, reader, label) => {
    assert.equal(out.length, events.length);
    out.forEach((m, i) => assert.deepEqual(m, events[i], `${label}, event ${i}`));
    assert.ok(Object.is((out[1] as { o: { v: number } }).o.v, -0), '-0 stays -0');
    assert.equal(reader.pending, 0);
  });
});

test('a result whose V8 bytes do not decode still names its task and the next one started, in one chunk or split', () => {
  // Garbage where the V8 payload should be: the head before it still reads.
  const event = { t: 'done', id: 2 ** 40 + 3, o: { ok: true, v: { a: 1 } }, ms: 1, nx: 2 ** 40 + 4 };
  const [frame] = [Buffer.concat(encodeFrame(event))];
  assert.equal(frame[4], DONE_V8);
  const broken = Buffer.from(frame);
  broken.fill(0xff, 4 + 17 + 2);
  const without = Buffer.from(Buffer.concat(encodeFrame({ ...event, nx: undefined })));
  without.fill(0xff, 4 + 17 + 2);
  const good = Buffer.concat(encodeFrame({ t: 'started', id: 9 }));
  const bytes = Buffer.concat([broken, good, without]);
  for (const { reused } of MODES) {
    for (const step of [1, 10, bytes.length]) {
      const reader = new FrameReader({ reusedChunks: reused });
      const out: unknown[] = [];
      const errors: FrameDecodeError[] = [];
      feed(reader, bytes, step, reused, (m) => out.push(m), (e) => errors.push(e));
      const label = `step ${step}, reused ${reused}`;
      assert.deepEqual(out, [{ t: 'started', id: 9 }], label);
      assert.deepEqual(errors.map((e) => e.result), [{ id: 2 ** 40 + 3, nx: 2 ** 40 + 4 }, { id: 2 ** 40 + 3, nx: undefined }], label);
    }
  }
  // A frame with no head (garbage, or any other event) names nothing.
  const garbage = Buffer.from([5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const errors: FrameDecodeError[] = [];
  new FrameReader().pushAll(garbage, () => {}, (e) => errors.push(e));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.result, undefined);
});

test('a compact frame with an unknown tag or the wrong size is a FrameDecodeError, and the reader stays in step', () => {
  const bad = [Buffer.from([0x7e, 1, 2]), Buffer.from([0x01, 0, 0]), Buffer.from([0x02, 4, ...new Array(24).fill(0)])];
  for (const payload of bad) assertRejectedInStep(payload);
});

test('a run command of single calls with primitive arguments takes the compact form and reads back exactly', () => {
  const compact = [
    { t: 'run', tasks: [{ id: 1, n: 'noop', a: [], at: 1 }] },
    { t: 'run', tasks: [
      { id: 2 ** 45, n: 'dé✓', a: [-0, NaN, 'héllo 🎉', '', true, false, null, undefined, 1e308], at: 3, s: 1 },
      { id: 7, n: 'x'.repeat(255), a: ['y'.repeat(1024)], at: 1 },
    ] },
    // imap's chunks of one (and small chunks), with and without per-item times;
    // a map chunk of strings whose timeout covers each item (pi).
    { t: 'run', tasks: [{ id: 10, n: 'g', m: [5], at: 2 }, { id: 11, n: 'g', m: ['a', null, -0], at: 1, pt: 1, s: 1 }] },
    { t: 'run', tasks: [{ id: 13, n: 'g', m: ['a', 'b'], at: 1, s: 1, pi: 1 }, { id: 14, n: 'g', m: [1, 2], at: 1, pt: 1, pi: 1 }] },
    // Names of one length that differ in a byte (each side keeps the last name it saw).
    { t: 'run', tasks: [{ id: 15, n: 'ab', a: [1], at: 1 }, { id: 16, n: 'ac', a: [1], at: 1 }, { id: 17, n: 'ab', a: [1], at: 1 }] },
  ];
  const v8 = [
    { t: 'run', tasks: [{ id: 3, n: 'f', a: [{ a: 1 }], at: 1 }] },
    { t: 'run', tasks: [{ id: 4, n: 'f', m: Array.from({ length: 256 }, (_, i) => i), at: 1 }] },
    // eslint-disable-next-line no-sparse-arrays
    { t: 'run', tasks: [{ id: 12, n: 'f', a: [1, , 3], at: 1 }] },
    { t: 'run', tasks: [{ id: 5, n: 'f', a: [1], at: 1, h: 1 }] },
    { t: 'run', tasks: [{ id: 6, n: 'f', a: [1], at: 1, k: 'key' }] },
    { t: 'run', tasks: [{ id: 8, n: 'f', a: ['z'.repeat(1025)], at: 1 }] },
    { t: 'run', tasks: [{ id: 9, n: 'f', a: [1n], at: 1 }] },
    { t: 'stop' },
  ];
  const frames = [...compact, ...v8].map((c) => encodeFrame(c));
  frames.forEach((f, i) => assert.equal(f[0]![4] === 0xff, i >= compact.length, `command ${i}`));
  const bytes = Buffer.concat(frames.flat());
  readEveryWay(bytes, [1, 7, 300, bytes.length], (out, _reader, label) => {
    assert.deepEqual(out, [...compact, ...v8], label);
    assert.ok(Object.is((out[1] as { tasks: Array<{ a: unknown[] }> }).tasks[0]!.a[0], -0));
  });
});

test("a map's chunks of numbers cross as a head and their raw bytes, both ways, and read back exactly", () => {
  const numbers = new Float64Array([0, -0, NaN, Infinity, -Infinity, 2 ** 53, 1e-300, -1.5]);
  const big = new Float64Array(5_000).map((_, i) => i * 0.5);
  // A view into a larger buffer: only its own bytes go.
  const view = new Float64Array(new Float64Array([9, 8, 7, 6]).buffer, 8, 2);
  const compact = [
    { t: 'run', tasks: [{ id: 1, n: 'double', mf: numbers, at: 1 }] },
    { t: 'run', tasks: [{ id: 2 ** 45, n: 'dé✓', mf: big, at: 3, s: 1, pt: 1, pi: 1 }] },
    { t: 'run', tasks: [{ id: 3, n: 'f', mf: view, at: 1 }] },
    { t: 'done', id: 1, vf: numbers, ms: 0.25, nx: 2 },
    { t: 'done', id: 2 ** 45, vf: big, ms: 12.5 },
    { t: 'done', id: 4, vf: new Float64Array(0), ms: 0 },
  ];
  const v8 = [
    // Two tasks, another field, per-item times or errors: the V8 path, which carries everything.
    { t: 'run', tasks: [{ id: 5, n: 'f', mf: numbers, at: 1 }, { id: 6, n: 'f', mf: numbers, at: 1 }] },
    { t: 'run', tasks: [{ id: 7, n: 'f', mf: numbers, at: 1, k: 'key' }] },
    { t: 'done', id: 8, vf: numbers, ms: 1, it: [1, 2, 3, 4, 5, 6, 7, 8] },
    { t: 'done', id: 9, vf: numbers, ms: 1, e: [[0, { name: 'Error', message: 'x' }]] },
  ];
  const frames = [...compact, ...v8].map((c) => encodeFrame(c));
  frames.forEach((f, i) => assert.equal(v8Start(f), i >= compact.length, `message ${i}`));
  // The numbers are not copied on the way out: the last iovec is the array's own memory.
  assert.equal(frames[1]!.at(-1)!.buffer, big.buffer);
  const bytes = Buffer.concat(frames.flat());
  readEveryWay(bytes, [1, 13, 65_536, bytes.length], (out, reader, label) => {
    assert.deepEqual(out, [...compact, ...v8], label);
    assert.equal(reader.pending, 0);
    // A fresh array each time: nothing aliases the reader's buffers.
    const got = (out[0] as { tasks: Array<{ mf: Float64Array }> }).tasks[0]!.mf;
    assert.ok(got instanceof Float64Array && got.byteOffset === 0 && got.buffer.byteLength === numbers.byteLength);
    assert.ok(Object.is(got[1], -0));
  });
});

test('a numeric chunk frame of the wrong size is a FrameDecodeError, and the reader stays in step', () => {
  const bad = [Buffer.from([0x05, 0, ...new Array(24 + 3).fill(0)]), Buffer.from([0x04, 0, ...new Array(16).fill(0), 200, 1, 2]), Buffer.from([0x04, 0, 1])];
  for (const payload of bad) assertRejectedInStep(payload);
});
