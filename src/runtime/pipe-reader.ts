/**
 * Reads a pipe that child_process made (one of a child's `stdio` sockets)
 * through one reused buffer (protocol/read-buffer.ts), as Node reads its own
 * IPC channel. On the events pipe the Readable machinery was a good part of
 * the parent's cost per call.
 *
 * Node has no public way to ask this of a stdio pipe, only of a Socket it
 * constructs (the `onread` option). So the pipe's handle moves to a new
 * Socket built with `onread`, and the old wrapper is left without one. Both
 * rest on fields Node does not document (`_handle`, the `handle` option), so
 * anything unexpected falls back to reading the stream as before.
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import { reusedReadBuffer } from '../protocol/read-buffer.js';

export interface PipeReader {
  /** What now owns the pipe: listen to it for 'close' and 'error', destroy it to stop reading. */
  readonly socket: Readable;
  /** Chunks are views of one buffer, overwritten after `onChunk` returns (FrameReader's `reusedChunks`). */
  readonly reused: boolean;
}

interface StreamHandle {
  readStart?: unknown;
  reading?: boolean;
}

export function readPipe(stream: Readable, onChunk: (chunk: Buffer) => void): PipeReader {
  const wrapper = stream as Readable & { _handle?: StreamHandle | null };
  const handle = wrapper._handle;
  // Taken over only when nothing has been read into the old wrapper yet
  // (true at spawn: reads are delivered on a later turn of the event loop).
  if (stream instanceof Socket && handle && typeof handle.readStart === 'function' && handle.reading === true && stream.readableLength === 0) {
    const options: SocketConstructorOpts & { handle: unknown; onread: OnReadOpts } = {
      handle, readable: true, writable: false, onread: reusedReadBuffer(onChunk),
    };
    // The old wrapper must never close the handle the new one owns.
    wrapper._handle = null;
    return { socket: new Socket(options), reused: true };
  }
  stream.on('data', onChunk);
  return { socket: stream, reused: false };
}
