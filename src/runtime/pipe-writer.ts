/**
 * Writes frames to a pipe that child_process made (a worker's command
 * socket) with one `write(2)` when nothing is queued on it, as Node's own IPC
 * channel does (it writes through the handle, not the Writable). On a round
 * trip of one small call, the Writable's path was a large share of the
 * JavaScript the parent runs, and of what V8 compiles in a fresh process.
 *
 * The socket is non-blocking: a write that would block (EAGAIN), or that
 * takes only part of a frame, leaves the rest to the stream, which then holds
 * every later frame behind it (`writableLength`), so frames keep their order.
 * The fd comes from the socket's handle (`_handle.fd`), which Node does not
 * document, read at each write (a closed handle's number may be reused):
 * without one, every frame goes through the stream as before.
 */
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** `onError`: a write failed for good (EPIPE: nothing reads the pipe any more), whichever path it took. */
export function pipeWriter(stream: Writable, onError: (err: NodeJS.ErrnoException) => void): (chunk: Buffer) => void {
  const socket = stream as Writable & { _handle?: { fd?: unknown } | null };
  return (chunk) => {
    if (!stream.writable) return;
    const fd = socket._handle?.fd;
    if (stream.writableLength > 0 || typeof fd !== 'number' || fd < 0) {
      stream.write(chunk);
      return;
    }
    let written: number;
    try {
      written = writeSync(fd, chunk);
    } catch (err) {
      // A full pipe is the stream's to wait on; anything else (EPIPE) ends this pipe.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        onError(err as NodeJS.ErrnoException);
        return;
      }
      written = 0;
    }
    if (written < chunk.length) stream.write(written === 0 ? chunk : chunk.subarray(written));
  };
}
