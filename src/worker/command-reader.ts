/**
 * The process worker's reader of commands after `init`: a `net.Socket` on
 * the command pipe, whose every read lands in one reused buffer.
 *
 * `node:net` is fetched with `process.getBuiltinModule` when the reader
 * opens, not imported: a worker thread never needs it, and a worker process
 * needs it only once it has sent `ready` (process-port.ts). The synchronous
 * call also spares the ESM loader's asynchronous import, which would delay
 * the first command by milliseconds.
 */
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import { reusedReadBuffer } from '../protocol/read-buffer.js';

/** Hands every read of `fd` to `onChunk` (valid until it returns); `onEnd` at EOF or error. */
export function readCommands(fd: number, onChunk: (chunk: Buffer) => void, onEnd: () => void): void {
  const { Socket } = process.getBuiltinModule('node:net');
  // The stream machinery was a good part of a worker's cost per call: reads
  // go straight to the frame reader. The Socket constructor reads `onread`
  // (documented there since 2024; older @types/node list it only for
  // connect()). 'end' and 'error' still fire.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd, readable: true, writable: false, onread: reusedReadBuffer(onChunk),
  };
  const input = new Socket(options);
  // EOF on the command pipe means the parent closed it or died (even by SIGKILL).
  input.on('end', onEnd);
  input.on('error', onEnd);
}
