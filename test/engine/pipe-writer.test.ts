/** Writing frames to a child's command pipe with write(2) when nothing is queued (src/runtime/pipe-writer.ts), with real child processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { pipeWriter } from '../../src/runtime/pipe-writer.ts';

/** A child that reads its fd 3 to the end, slowly at first (so the pipe fills), and prints the bytes' count and SHA-1. */
function reader() {
  const script = `const fs = require('fs'); const h = require('crypto').createHash('sha1'); let n = 0;
    setTimeout(() => { const b = Buffer.alloc(65536); for (;;) { let k; try { k = fs.readSync(3, b); } catch (e) { if (e.code === 'EAGAIN') continue; throw e; }
      if (k === 0) break; n += k; h.update(b.subarray(0, k)); }
      process.stdout.write(n + ' ' + h.digest('hex')); }, 300);`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
}

test('frames reach the child whole and in order, also when the pipe fills and the stream queues the rest', async (t) => {
  const child = reader();
  t.after(() => child.kill('SIGKILL'));
  const commands = child.stdio[3] as Writable;
  const write = pipeWriter(commands);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const h = createHash('sha1');
  let bytes = 0;
  let queued = 0;
  // 8 MB in frames of varied sizes, far more than a socket buffer holds while the child sleeps.
  for (let i = 0; i < 2000; i++) {
    const frame = Buffer.alloc(4 + ((i * 7919) % 8000), i % 251);
    frame.writeUInt32LE(i, 0);
    write(frame);
    if (commands.writableLength > 0) queued++;
    h.update(frame);
    bytes += frame.length;
  }
  assert.ok(queued > 0, 'the pipe filled, so some frames waited in the stream');
  commands.end();
  await once(child, 'close');
  assert.equal(out, `${bytes} ${h.digest('hex')}`);
});

test('with nothing queued a frame is written at once, not through the stream', async (t) => {
  const child = reader();
  t.after(() => child.kill('SIGKILL'));
  const commands = child.stdio[3] as Writable;
  const viaStream: Buffer[] = [];
  const original = commands.write.bind(commands);
  commands.write = ((chunk: Buffer, ...rest: never[]) => { viaStream.push(chunk); return original(chunk, ...rest); }) as typeof commands.write;
  pipeWriter(commands)(Buffer.from('one small frame'));
  assert.deepEqual(viaStream, [], 'the direct write took it');
  commands.end();
  await once(child, 'close');
});

test('a stream without a handle gets every frame, and a gone child is not an error here', async () => {
  const stream = new PassThrough();
  const got: Buffer[] = [];
  stream.on('data', (b: Buffer) => got.push(b));
  const write = pipeWriter(stream);
  write(Buffer.from('a'));
  write(Buffer.from('b'));
  await new Promise((r) => setImmediate(r));
  assert.equal(Buffer.concat(got).toString(), 'ab');

  // The child exits without reading: the next writes hit EPIPE, which the worker's exit reports, not the writer.
  const gone = spawn(process.execPath, ['-e', '0'], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const commands = gone.stdio[3] as Writable;
  commands.on('error', () => {});
  await once(gone, 'exit');
  const late = pipeWriter(commands);
  for (let i = 0; i < 3; i++) assert.doesNotThrow(() => late(Buffer.from('after the exit')));
});
