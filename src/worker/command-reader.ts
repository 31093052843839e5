/**
 * The process worker's reader of later commands: a `net.Socket` on the
 * command pipe. A file of its own, bundled apart from the entry
 * (scripts/bundle-worker.mjs), because it loads `node:net`, which a worker
 * thread never needs and a worker process needs only once it is ready.
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { reusedReadBuffer } from '../protocol/read-buffer.js';

/** Hands every read of `fd` to `onChunk` (valid until it returns); `onEnd` at EOF or error. */
export function readCommands(fd: number, onChunk: (chunk: Buffer) => void, onEnd: () => void): void {
  // Every read lands in one buffer, handed straight to the frame reader
  // (the stream machinery was a good part of a worker's cost per call).
  // The Socket constructor reads `onread` (documented there since 2024; older
  // @types/node list it only for connect()). 'end' and 'error' still fire.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd, readable: true, writable: false, onread: reusedReadBuffer(onChunk),
  };
  const input = new Socket(options);
  // EOF on the command pipe means the parent closed it or died (even by SIGKILL).
  input.on('end', onEnd);
  input.on('error', onEnd);
}
