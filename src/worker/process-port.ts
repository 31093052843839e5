/**
 * Child side of the process runtime's channel.
 *
 * fd 3 carries commands in; fd 4 carries events out, written with blocking
 * `writev` calls. Blocking writes matter for crash semantics: once `send`
 * returns, a result or log line sits in the kernel's socket buffer and
 * survives this process being SIGKILLed a microsecond later, so the parent
 * never loses a finished result and always knows exactly which task was
 * running when the worker died.
 *
 * Start-up reads `init` synchronously: the parent writes it right after the
 * spawn, so it is already in the pipe, and the worker can import its task
 * module at once. After `ready`, the parent answers at once (`answersReady`:
 * a `run`, or `go` when it has nothing for this worker), and the worker
 * reads that answer synchronously too (`readOne`), so its first task does
 * not wait for the asynchronous reader of later commands (a `net.Socket`:
 * loading `node:net` and opening it takes several milliseconds, longer than
 * the parent takes to answer). That reader is opened by `listen()`, once the
 * answer is handled. Nothing the parent sends before `ready` needs an answer
 * sooner, except hub replies to an initializer: the entry listens before
 * running one.
 */
import { readSync, writeSync, writevSync } from 'node:fs';
import { FrameReader, encodeFrame } from '../protocol/framing.js';
import { MAX_COMPACT_FRAME, encodeCompactInto } from '../protocol/compact.js';
import { ITEM_RECORD_SLACK_MS, type Command, type InitCommand, type WorkerEvent } from '../protocol/messages.js';
import type { WorkerPort } from './port.js';
import { readCommands } from './command-reader.js';
import { encodeError } from '../protocol/values.js';
import { openItemLog } from './item-log.js';
import { CULPRIT_BYTE } from '../protocol/item-log.js';
import { reportUncaught } from './uncaught.js';

const COMMAND_FD = 3;
const EVENT_FD = 4;
/** Set by the process runtime when fd 5 is the running-task record (see runtime/process.ts). */
const RUNNING_FD_ENV = 'FORKPOOL_RUNNING_FD';
/** One synchronous read of the command pipe at start-up (an init frame is a few hundred bytes). */
const FIRST_READ_BYTES = 64 * 1024;

export function openProcessPort(): WorkerPort {
  // One reader for the whole stream: the synchronous first read and the
  // socket's reads later feed it in turn, so a frame split between them is
  // still read whole.
  const reader = new FrameReader({ reusedChunks: true });
  let commandHandler: ((c: Command) => void) | undefined;
  let goneHandler: () => void = () => {};
  /** Commands read so far, undecodable ones included: the parent numbers them the same way (port.ts). */
  let received = 0;
  /** Commands read before a handler was registered (the first is `init`). */
  const early: Command[] = [];
  const deliver = (m: unknown) => {
    received++;
    if (commandHandler) commandHandler(m as Command);
    else early.push(m as Command);
  };
  // One command that does not decode (nested deeper than this process's
  // deserializer follows) is reported and skipped: the frames behind it are
  // read on, the reader stays in step, and its tasks fail in the parent.
  const feed = (chunk: Buffer, onMessage: (m: unknown) => void) =>
    reader.pushAll(chunk, onMessage, (err) => send({ t: 'undecodable', n: ++received, e: encodeError(err) }));
  const scratch = Buffer.allocUnsafe(MAX_COMPACT_FRAME);
  function send(event: WorkerEvent): void {
    // The two events every call sends are encoded into one reused buffer:
    // the write below is synchronous, so it is free again when send returns.
    const n = encodeCompactInto(event, scratch);
    if (n > 0) writeScratch(scratch, n);
    else writeAll(encodeFrame(event));
  }
  const first = readCommandSync(feed, deliver);
  const init = first && early[0]?.t === 'init' ? (early.shift() as InitCommand) : undefined;
  let listening = false;
  reportUncaught(send);

  return {
    init,
    // A `move()` result's transfer list is not needed: its bytes are copied into the frame.
    send,
    ...runningRecord(),
    onCommand(h) {
      commandHandler = h;
      for (const c of early.splice(0)) h(c);
    },
    onParentGone(h) { goneHandler = h; },
    readOne() {
      // Once the Socket reads the pipe, a second reader would take its bytes.
      return !listening && readCommandSync(feed, deliver);
    },
    listen() {
      if (listening) return;
      listening = true;
      readCommands(COMMAND_FD, (chunk) => feed(chunk, deliver), () => goneHandler());
    },
    exit(code: number): never {
      process.exit(code);
    },
  };
}

/**
 * Reads the command pipe synchronously until one whole command has been
 * handed to `deliver` (with any others that came in the same read). Used
 * only when a command is known to be on its way: `init`, written right
 * after the spawn, and the answer to `ready`. The pipe is blocking in this
 * process. False if a read failed (a pipe made non-blocking, say): whatever
 * was read stays in the reader, and the command then arrives once the port
 * listens. EOF means the parent is gone.
 */
function readCommandSync(feed: (chunk: Buffer, onMessage: (m: unknown) => void) => void, deliver: (m: unknown) => void): boolean {
  const buf = Buffer.allocUnsafe(FIRST_READ_BYTES);
  let got = false;
  const onMessage = (m: unknown) => { got = true; deliver(m); };
  while (!got) {
    let n: number;
    try {
      n = readSync(COMMAND_FD, buf, 0, buf.length, null);
    } catch {
      return false;
    }
    if (n === 0) process.exit(0);
    feed(buf.subarray(0, n), onMessage);
  }
  return true;
}

/**
 * The running-task record: 24 bytes (id, attempt, start of the running item)
 * written at offset 0 of a file the parent opened, unlinked and handed over
 * as fd 5. A positional write lands in the page cache, so it survives this
 * process being SIGKILLed right after, and unlike a frame on fd 4 it does not
 * wake the parent, which reads it only when this worker has died or a
 * chunk's clock has run out.
 */
function runningRecord(): Pick<WorkerPort, 'recordStart' | 'recordItem' | 'recordCulprit' | 'itemLog'> {
  const fd = Number(process.env[RUNNING_FD_ENV]);
  // Not for the task's own children.
  delete process.env[RUNNING_FD_ENV];
  if (!(fd > 2)) return {};
  const record = new Float64Array(3);
  const bytes = Buffer.from(record.buffer);
  return {
    // The same file past its first page (protocol/item-log.ts).
    itemLog: openItemLog(fd),
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
    recordCulprit(id) {
      writeSync(fd, Buffer.from(new Float64Array([id]).buffer), 0, 8, CULPRIT_BYTE);
    },
  };
}

/** Compact frames are encoded into one scratch buffer, free again as soon as the synchronous write returns. */
function writeScratch(scratch: Buffer, n: number): void {
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
