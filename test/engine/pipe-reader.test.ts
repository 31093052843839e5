/** Reading a child's stdio pipe through one reused buffer (src/runtime/pipe-reader.ts), with real child processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { readPipe } from '../../src/runtime/pipe-reader.ts';

/** A child that writes `pieces` to its fd 3, each on its own turn, then exits. */
function writer(pieces: string[]) {
  const script = `const fs = require('fs'); const p = ${JSON.stringify(pieces)};
    let i = 0; const next = () => { if (i === p.length) return; fs.writeSync(3, p[i++]); setTimeout(next, 5); }; next();`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
}

test("a child's pipe is read through one buffer, not the stream, and closes when the child is done", async () => {
  const pieces = ['first', 'x'.repeat(70_000), 'last'];
  const child = writer(pieces);
  const original = child.stdio[3] as Readable;
  const received: string[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const pipe = readPipe(original, (chunk) => {
    buffers.add(chunk.buffer);
    received.push(chunk.toString('latin1'));
  });
  // On this Node the fast path must be taken: if a Node release changes the
  // fields it relies on, this fails instead of the pool silently going slow.
  assert.equal(pipe.reused, true);
  assert.notEqual(pipe.socket, original);
  assert.equal((original as unknown as { _handle: unknown })._handle, null, 'the old wrapper no longer owns the handle');
  original.on('data', () => assert.fail('the old wrapper must not read'));
  await once(pipe.socket, 'close');
  assert.equal(received.join(''), pieces.join(''));
  assert.ok(received.length >= 3, 'more than one read');
  assert.equal(buffers.size, 1, 'every read lands in the same buffer');
  original.destroy();
  await once(child, 'close');
});

test('a stream that is not a socket with a handle is read as a stream', async () => {
  const stream = new PassThrough();
  const received: Buffer[] = [];
  const pipe = readPipe(stream, (chunk) => received.push(chunk));
  assert.equal(pipe.reused, false);
  assert.equal(pipe.socket, stream);
  stream.end('hello');
  await once(stream, 'end');
  assert.equal(Buffer.concat(received).toString(), 'hello');
});
