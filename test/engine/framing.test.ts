/** Frames on the process runtime's pipes, without processes (src/protocol/framing.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptStreamError, FrameDecodeError, FrameReader, MAX_FRAME_BYTES, encodeFrame } from '../../src/protocol/framing.ts';

test('messages split across chunks at any byte arrive whole and in order', () => {
  const msgs = [{ a: 1 }, { b: Buffer.alloc(20_000, 7) }, 'x'.repeat(10), new Map([[1, 2]])];
  const bytes = Buffer.concat(msgs.flatMap((m) => encodeFrame(m)));
  for (const step of [1, 3, 4096, bytes.length]) {
    const reader = new FrameReader();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step), (m) => out.push(m));
    assert.deepEqual(out, msgs);
    assert.equal(reader.pending, 0);
  }
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
