/**
 * Reading a pipe into one reused buffer: the `onread` option of a Socket
 * built on it. Every read lands in the same 64 KB and is handed on as a view,
 * with no Buffer per read and none of the Readable machinery (push, 'data',
 * the read-more tick). Both ends of the process runtime's pipes read this
 * way, so whatever they keep of a chunk must be copied: FrameReader's
 * `reusedChunks` mode.
 */
import type { OnReadOpts } from 'node:net';

/** As much as one read of a pipe brings (Node's own read size). */
const READ_BUFFER_BYTES = 64 * 1024;

/** The `onread` option: each read's bytes go to `onChunk`, valid until it returns. */
export function reusedReadBuffer(onChunk: (chunk: Buffer) => void): OnReadOpts {
  return {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (n, buf) => {
      onChunk((buf as Buffer).subarray(0, n));
      return true;
    },
  };
}
