/**
 * Child side of the process runtime's channel.
 *
 * fd 3 carries commands in (read with a non-blocking stream); fd 4 carries
 * events out, written with blocking `writev` calls. Blocking writes matter for
 * crash semantics: once `send` returns, a result or log line sits in the
 * kernel's socket buffer and survives this process being SIGKILLed a
 * microsecond later, so the parent never loses a finished result and always
 * knows exactly which task was running when the worker died.
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { writeSync, writevSync } from 'node:fs';
import { FrameReader, encodeFrame } from '../protocol/framing.js';
import { reusedReadBuffer } from '../protocol/read-buffer.js';
import { MAX_COMPACT_FRAME, encodeCompactInto } from '../protocol/compact.js';
import { ITEM_RECORD_SLACK_MS, type Command, type WorkerEvent } from '../protocol/messages.js';
import type { WorkerPort } from './port.js';

const COMMAND_FD = 3;
const EVENT_FD = 4;
/** Set by the process runtime when fd 5 is the running-task record (see runtime/process.ts). */
const RUNNING_FD_ENV = 'FORKPOOL_RUNNING_FD';

export function openProcessPort(): WorkerPort {
  const reader = new FrameReader({ reusedChunks: true });
  let commandHandler: (c: Command) => void = () => {};
  let goneHandler: () => void = () => {};
  const onCommand = (m: unknown) => commandHandler(m as Command);
  // Every read lands in one buffer, handed straight to the frame reader
  // (the stream machinery was a good part of a worker's cost per call).
  // The Socket constructor reads `onread` (documented there since 2024; older
  // @types/node list it only for connect()). 'end' and 'error' still fire.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd: COMMAND_FD, readable: true, writable: false,
    onread: reusedReadBuffer((chunk) => reader.push(chunk, onCommand)),
  };
  const input = new Socket(options);
  // EOF on the command pipe means the parent closed it or died (even by SIGKILL).
  input.on('end', () => goneHandler());
  input.on('error', () => goneHandler());

  return {
    // A `move()` result's transfer list is not needed: its bytes are copied into the frame.
    send(event: WorkerEvent) {
      // The two events every call sends are encoded into one reused buffer:
      // the write below is synchronous, so it is free again when send returns.
      const n = encodeCompactInto(event, scratch);
      if (n > 0) writeScratch(n);
      else writeAll(encodeFrame(event));
    },
    ...runningRecord(),
    onCommand(h) { commandHandler = h; },
    onParentGone(h) { goneHandler = h; },
    exit(code: number): never {
      process.exit(code);
    },
  };
}

/**
 * The running-task record: 24 bytes (id, attempt, start of the running item)
 * written at offset 0 of a file the parent opened, unlinked and handed over
 * as fd 5. A positional write lands in the page cache, so it survives this
 * process being SIGKILLed right after, and unlike a frame on fd 4 it does not
 * wake the parent, which reads it only when this worker has died or a
 * chunk's clock has run out.
 */
function runningRecord(): Pick<WorkerPort, 'recordStart' | 'recordItem'> {
  const fd = Number(process.env[RUNNING_FD_ENV]);
  // Not for the task's own children.
  delete process.env[RUNNING_FD_ENV];
  if (!(fd > 2)) return {};
  const record = new Float64Array(3);
  const bytes = Buffer.from(record.buffer);
  return {
    recordStart(id, attempt) {
      record[0] = id;
      record[1] = attempt;
      writeSync(fd, bytes, 0, 16, 0);
    },
    recordItem(id, attempt, at) {
      // Within the slack of the last start written for this chunk: the parent allows for it.
      if (record[0] === id && record[1] === attempt && at - record[2]! < ITEM_RECORD_SLACK_MS) return;
      record[0] = id;
      record[1] = attempt;
      record[2] = at;
      writeSync(fd, bytes, 0, 24, 0);
    },
  };
}

/** Compact frames are encoded here; free again as soon as the synchronous write returns. */
const scratch = Buffer.allocUnsafe(MAX_COMPACT_FRAME);

function writeScratch(n: number): void {
  for (let written = 0; written < n;) {
    try {
      written += writeSync(EVENT_FD, scratch, written, n - written);
    } catch (err) {
      writeFailed(err);
    }
  }
}

function writeAll(buffers: Buffer[]): void {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = 0;
  while (written < total) {
    try {
      const rest = written === 0 ? buffers : remaining(buffers, written);
      written += rest.length === 1 ? writeSync(EVENT_FD, rest[0]!) : writevSync(EVENT_FD, rest);
    } catch (err) {
      writeFailed(err);
    }
  }
}

/** Returns to retry the write; exits or throws otherwise. */
function writeFailed(err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  // The fd is blocking, but be safe if something made it non-blocking.
  if (code === 'EAGAIN') return;
  // EPIPE: the parent is gone. Nothing to report to; exit quietly.
  if (code === 'EPIPE') process.exit(0);
  throw err;
}

function remaining(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) { skip -= b.length; continue; }
    out.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
