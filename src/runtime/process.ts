/**
 * The process runtime: one child process per worker.
 *
 * stdio layout: 0 ignored, 1/2 piped (raw writes from native code or V8's
 * fatal errors, which bypass our console capture), 3 commands in, 4 events out.
 * The child's exit is reported only after its event pipe and stdio have been
 * read to the end, so a result or log line written just before a crash is
 * always delivered before the crash is.
 *
 * Each worker leads its own process group (`detached`), and every kill goes
 * to the whole group: a task that started `sleep 300` or a browser does not
 * leave it running after its worker is terminated, recycled or dies, and
 * the reaper kills the group too if this process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { CorruptStreamError, FrameReader, encodeFrame } from '../protocol/framing.js';
import { readPipe } from './pipe-reader.js';
import { pipeWriter } from './pipe-writer.js';
import type { Command, WorkerEvent } from '../protocol/messages.js';
import type { RuntimeWorker, SpawnWorker } from './types.js';
import { workerEntryPath } from './entry-path.js';
import { closeWorkerFile, openWorkerFile, readLoggedItems } from './worker-file.js';
import { CULPRIT_BYTE } from '../protocol/item-log.js';
import { forgetPid, watchPid } from './reaper.js';
import { PROCESS_WORKER_ARG } from '../worker/kind.js';

/** After the process exits, how long to wait for its pipes to drain (a grandchild may hold them open). */
const PIPE_DRAIN_AFTER_EXIT_MS = 1000;
/** A worker whose event pipe closed but which is still alive this long after is broken: kill it. */
const CHANNEL_CLOSED_GRACE_MS = 500;
/** V8 prints one of these to stderr when a heap allocation fails. */
const V8_OOM_MARKER = /heap out of memory|Reached heap limit|Allocation failed|Fatal JavaScript (?:invalid size error|OOM)|Fatal javascript OOM/i;
const PAGE_SIZE = 4096;
/** Pushed to the frame reader to read on past a frame that did not decode (no new bytes). */

export const spawnProcessWorker: SpawnWorker = (spec, handlers) => {
  const execArgv = [...spec.execArgv];
  if (spec.maxOldGenerationSizeMb !== undefined) execArgv.push(`--max-old-space-size=${spec.maxOldGenerationSizeMb}`);
  // The running-task record: 24 bytes at offset 0 (worker/process-port.ts),
  // then the item log from its second page (protocol/item-log.ts).
  const record = openWorkerFile('running');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...execArgv, workerEntryPath(), PROCESS_WORKER_ARG], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', record ?? 'ignore'],
      env: record === undefined ? spec.env : { ...(spec.env ?? process.env), FORKPOOL_RUNNING_FD: '5' },
      cwd: spec.cwd,
      windowsHide: true,
      // Its own process group, so kills reach the worker's children too.
      detached: process.platform !== 'win32',
    });
  } catch (err) {
    closeWorkerFile(record);
    // Out of file descriptors (EMFILE) and the like can throw here: report it
    // as a failed start, asynchronously like any other exit.
    return failedSpawn(err as Error, handlers);
  }
  if (child.pid === undefined || !child.stdio[3] || !child.stdio[4]) {
    // spawn() reports most failures by an 'error' event with no pid; make sure
    // one is reported once even if the pipes were never created.
    let reported = false;
    const fail = (err: Error) => {
      if (reported) return;
      reported = true;
      handlers.onExit({ exitCode: null, signal: null, outOfMemory: false, error: err });
    };
    child.on('error', fail);
    for (const s of child.stdio ?? []) (s as NodeJS.EventEmitter | null)?.on('error', () => {});
    setImmediate(() => fail(new Error('the worker process could not be spawned')));
    closeWorkerFile(record);
    return deadWorker();
  }
  const pid = child.pid;
  watchPid(pid);
  const commands = child.stdio[3] as Writable;
  const events = child.stdio[4] as Readable;
  let stderrTail = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  let open = 3; // events, stdout, stderr
  let reported = false;
  let corrupt = false;
  let drainTimer: NodeJS.Timeout | undefined;

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try { child.kill(signal); } catch { /* already gone */ }
    }
  };

  const report = () => {
    if (reported || !exited) return;
    reported = true;
    if (drainTimer) clearTimeout(drainTimer);
    // A grandchild that escaped the group may still hold stdio open: stop
    // reading it, so it never keeps this process alive after join().
    for (const s of [pipe.socket, events, child.stdout, child.stderr]) s?.destroy();
    // The task it had recorded as running (no `started` frame was sent for
    // it), read after every frame it sent has been handled: judged, not run
    // again blindly.
    const running = readRecord(record);
    const culprit = readCulprit(record);
    // The finished items of the last logged chunk it ran: they keep their
    // outcomes if that chunk is still unsettled (a chunk announced by `nx` is
    // not in the record, so the log names its own chunk).
    const logged = readLoggedItems(record);
    closeWorkerFile(record);
    if (running) handlers.onEvent({ t: 'started', id: running[0]!, at: running[1]! });
    if (logged) handlers.onEvent({ t: 'logged', id: logged.id, items: logged.items });
    handlers.onExit({
      exitCode: exited.code,
      signal: exited.signal,
      outOfMemory: V8_OOM_MARKER.test(stderrTail),
      error: spawnError,
      culprit,
    });
  };
  const closed = () => { if (--open === 0) report(); };

  /**
   * The worker was told in `init` that `ready` gets an answer at once, and
   * waits for it with a blocking read (worker/process-port.ts): owed until
   * any command is sent. The pool's dispatch for the new worker runs in the
   * microtasks after `ready` is handled; if it sent nothing, `go` follows.
   */
  let owesAnswer = false;
  const answerReady = () => {
    if (owesAnswer) send({ t: 'go' });
  };
  const onEvent = (m: unknown) => {
    // A decoded frame that is not an object is no event at all: the supervisor judges what is.
    if ((m as WorkerEvent | null)?.t === 'ready') {
      owesAnswer = true;
      setImmediate(answerReady);
    }
    handlers.onEvent(m as WorkerEvent);
  };
  const pipe = readPipe(events, (chunk: Buffer) => {
    if (corrupt) return;
    try {
      // A frame that would not decode is one bad message: the supervisor kills
      // the worker (it cannot know what was lost), but the frames behind it in
      // this read are read on: they hold results of tasks that finished, which
      // must not run again.
      reader.pushAll(chunk, onEvent, (err) => handlers.onChannelError(err));
    } catch (err) {
      // An impossible length means the stream is out of step for good: read no more of it.
      if (err instanceof CorruptStreamError) {
        corrupt = true;
        handlers.onChannelError(err);
      } else {
        // A bug in a handler must not desynchronise the stream silently.
        process.nextTick(() => { throw err; });
      }
    }
  });
  const reader = new FrameReader({ reusedChunks: pipe.reused });
  pipe.socket.on('close', () => {
    // Normal at exit. A live worker that closed its event pipe can never
    // report again: after a short grace (it may just be exiting), it is broken.
    if (!exited) {
      setTimeout(() => {
        if (!exited) handlers.onChannelError(new Error('the worker closed its event channel'));
      }, CHANNEL_CLOSED_GRACE_MS).unref();
    }
    closed();
  });
  for (const name of ['stdout', 'stderr'] as const) {
    const s = child[name]!;
    s.setEncoding('utf8');
    s.on('data', (text: string) => {
      if (name === 'stderr') stderrTail = (stderrTail + text).slice(-4096);
      handlers.onOutput(name, text);
    });
    s.on('close', closed);
  }
  // EPIPE or EOF on the command pipe: nothing reads it. A dead child's exit reports
  // itself; a live one closed its end (a task's `closeSync(3)`, a library that
  // closes inherited descriptors) and can never get another task, so after
  // the same grace it is broken. Its reader may not notice the close at all
  // (an fd closed under libuv just leaves epoll), so only this side can tell.
  let commandsBroken = false;
  const onCommandError = () => {
    if (exited || commandsBroken) return;
    commandsBroken = true;
    setTimeout(() => {
      if (!exited) handlers.onChannelError(new Error('the worker closed its command channel'));
    }, CHANNEL_CLOSED_GRACE_MS).unref();
  };
  commands.on('error', onCommandError);
  // The socket also ends when the worker closes its end (EOF on a socketpair): later sends are dropped.
  commands.on('close', onCommandError);
  events.on('error', () => {});
  pipe.socket.on('error', () => {});
  child.on('error', (err) => { spawnError = err; });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    forgetPid(pid);
    // Whatever the worker started dies with it (see the header).
    killGroup('SIGKILL');
    if (open === 0) report();
    else drainTimer = setTimeout(report, PIPE_DRAIN_AFTER_EXIT_MS).unref();
  });

  const writeFrame = pipeWriter(commands, onCommandError);
  /** Commands encoded so far: the worker counts the frames it reads the same way. */
  let sent = 0;
  const send = (command: Command): number => {
    owesAnswer = false;
    const frame = encodeFrame(command.t === 'init' ? { ...command, answersReady: 1 } : command);
    const n = ++sent;
    if (!commands.writable) {
      onCommandError();
      return n;
    }
    if (frame.length === 1) {
      writeFrame(frame[0]!);
      return n;
    }
    commands.cork();
    for (const b of frame) commands.write(b);
    commands.uncork();
    return n;
  };
  const handles = [child, commands, events, pipe.socket, child.stdout!, child.stderr!] as Array<{ unref?(): void }>;
  return {
    pid,
    send,
    kill(signal) {
      if (exited) return;
      killGroup(signal);
    },
    logsItems: record !== undefined,
    itemStartedAt(id) {
      const r = exited ? undefined : readRecord(record);
      return r && r[0] === id && r[2]! > 0 ? r[2] : undefined;
    },
    memory() {
      if (exited || process.platform !== 'linux') return undefined;
      try {
        const statm = readFileSync(`/proc/${pid}/statm`, 'latin1');
        return Number(statm.split(' ')[1]) * PAGE_SIZE;
      } catch {
        return undefined;
      }
    },
    unref() { for (const h of handles) h.unref?.(); },
  } satisfies RuntimeWorker;
};

/** The record (id, attempt, item start), or undefined if no task was recorded. */
function readRecord(fd: number | undefined): Float64Array | undefined {
  if (fd === undefined) return undefined;
  const record = new Float64Array(3);
  try {
    // A file only recordStart wrote to is 16 bytes long: its item start reads as 0.
    if (readSync(fd, record, 0, 24, 0) < 16) return undefined;
  } catch {
    return undefined;
  }
  return record[0]! > 0 ? record : undefined;
}

/** The task whose code ended the worker, if it recorded one (worker/concurrent.ts). */
function readCulprit(fd: number | undefined): number | undefined {
  if (fd === undefined) return undefined;
  const slot = new Float64Array(1);
  try {
    if (readSync(fd, slot, 0, 8, CULPRIT_BYTE) < 8) return undefined;
  } catch {
    return undefined;
  }
  return slot[0]! > 0 ? slot[0] : undefined;
}

/** A worker whose spawn threw: its exit (a start failure) is reported on the next turn. */
function failedSpawn(err: Error, handlers: Parameters<SpawnWorker>[1]): RuntimeWorker {
  setImmediate(() => handlers.onExit({ exitCode: null, signal: null, outOfMemory: false, error: err }));
  return deadWorker();
}

function deadWorker(): RuntimeWorker {
  return {
    pid: undefined,
    send: () => 0,
    kill() {},
    logsItems: false,
    itemStartedAt: () => undefined,
    memory: () => undefined,
    unref() {},
  };
}
