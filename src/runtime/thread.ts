/**
 * The thread runtime: one worker_thread per worker, like Python's ThreadPool
 * but with real parallelism. Commands and events travel on a private
 * MessageChannel.
 *
 * A thread cannot be SIGKILLed on its own: `kill` terminates it, which also
 * stops a synchronous infinite loop. A segfault in native code kills the
 * whole process — use the process runtime for crash-prone native add-ons.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { WorkerEvent } from '../protocol/messages.js';
import type { RuntimeWorker, SpawnWorker } from './types.js';
import { workerEntryPath } from './entry-path.js';
import { decodeItemLog, itemLogMemory } from '../protocol/item-log.js';
import { UndecodableMessageError } from '../protocol/undecodable.js';

/** A thread's item log starts this small; few chunks log more. */
const ITEM_LOG_INITIAL_BYTES = 64 * 1024;

/** Messages read per 'message' event at most, so one busy thread cannot starve the event loop. */
const DRAIN_PER_EVENT = 256;

export const spawnThreadWorker: SpawnWorker = (spec, handlers) => {
  const { port1, port2 } = new MessageChannel();
  let pendingInit: unknown;
  let worker: Worker | undefined;
  let started = false;
  let exited = false;
  let lastError: Error | undefined;
  let refd = true;
  /** Commands sent, `init` (in workerData) being the first: the thread counts them the same way. */
  let sent = 0;

  // The init command becomes workerData, so the thread can start without a round trip.
  const startWith = (init: unknown) => {
    worker = new Worker(workerEntryPath(), {
      // Output the parent has not handled yet, counted down as it is (see withLogCredit in the worker).
      // `running`: the task the thread runs now (id, attempt, start of its running item), recorded by the thread instead of a `started` message, read here only if it dies.
      // `itemLog`: the item log (protocol/item-log.ts) in shared memory, read here only if it dies.
      workerData: { port: port2, init, logBacklog, running, itemLog },
      transferList: [port2],
      execArgv: spec.execArgv,
      env: spec.env && definedOnly(spec.env),
      // Our console capture routes the thread's output through the protocol.
      // Not piping worker.stdout/stderr here: a 'data' listener on them keeps
      // the parent's event loop alive even after worker.unref().
      resourceLimits: spec.maxOldGenerationSizeMb !== undefined ? { maxOldGenerationSizeMb: spec.maxOldGenerationSizeMb } : undefined,
    });
    if (!refd) worker.unref();
    worker.on('error', (err) => { lastError = err; });
    worker.on('exit', (code) => {
      exited = true;
      // Deliver every message the thread posted before it died (a result
      // written just before process.exit must not be lost, or an innocent task
      // would be blamed), then report the exit.
      setImmediate(() => {
        for (;;) {
          let m: { message: unknown } | undefined;
          // One that does not decode is taken off the port as it throws: read on, the ones behind it may be results.
          try { m = receiveMessageOnPort(port1); } catch (err) { handlers.onChannelError(undecodable(err)); continue; }
          if (!m) break;
          handlers.onEvent(m.message as WorkerEvent);
        }
        port1.close();
        // The task it was running (no `started` message is sent for it): judged, not run again blindly.
        // The finished items of a logged chunk it was running keep their outcomes.
        const logged = decodeItemLog(Buffer.from(itemLog), 'threads');
        if (running[0] > 0) handlers.onEvent({ t: 'started', id: running[0], at: running[1] });
        if (logged) handlers.onEvent({ t: 'logged', id: logged.id, items: logged.items });
        const oom = (lastError as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        handlers.onExit({ exitCode: code, signal: null, outOfMemory: oom, error: lastError, culprit: running[3]! > 0 ? running[3] : undefined });
      });
    });
  };
  const logBacklog = new Int32Array(new SharedArrayBuffer(4));
  // The task it runs (id, attempt, item start) and the one whose code ended it (worker/port.ts recordCulprit).
  const running = new Float64Array(new SharedArrayBuffer(32));
  // Grows as a chunk of large results needs (worker/item-log.ts).
  const itemLog = itemLogMemory(ITEM_LOG_INITIAL_BYTES);
  const handle = (m: WorkerEvent) => {
    handlers.onEvent(m);
    if (m.t === 'log') {
      Atomics.sub(logBacklog, 0, m.x.length);
      Atomics.notify(logBacklog, 0);
    }
  };
  port1.on('message', (m: WorkerEvent) => {
    handle(m);
    // Take what else is already queued in this turn: each 'message' event
    // costs an event object and a microtask checkpoint (so a dispatch) per
    // result, which made a burst of tiny tasks garbage-bound.
    for (let i = 0; i < DRAIN_PER_EVENT; i++) {
      let next: { message: unknown } | undefined;
      try { next = receiveMessageOnPort(port1); } catch (err) { handlers.onChannelError(undecodable(err)); return; }
      if (!next) return;
      handle(next.message as WorkerEvent);
    }
  });
  // A message that cannot be deserialized here (nested deeper than this
  // thread's deserializer can follow: the worker thread's larger stack
  // serialized it) is lost, and with it maybe a `done`: the supervisor
  // replaces the thread, and its running task fails with DataCloneError, not
  // retried, as a frame that does not decode does under the process runtime.
  port1.on('messageerror', (err: Error) => handlers.onChannelError(undecodable(err)));

  return {
    pid: process.pid,
    send(command) {
      if (!started && command.t === 'init') {
        started = true;
        sent = 1;
        pendingInit = command;
        try {
          startWith(pendingInit);
        } catch (err) {
          // new Worker() throws at once for what a thread cannot take (execArgv
          // flags that are process-wide: ERR_WORKER_INVALID_EXEC_ARGV). With no
          // thread, no 'exit' would ever come and the slot would wait forever:
          // report the exit (a start failure) on the next turn, as a failed
          // process spawn does.
          exited = true;
          setImmediate(() => handlers.onExit({ exitCode: null, signal: null, outOfMemory: false, error: err as Error }));
        }
        return sent;
      }
      // A run command's `tr` moves its ArrayBuffers and MessagePorts to the thread instead of copying them.
      if (!exited) port1.postMessage(command, command.t === 'run' ? command.tr : undefined);
      return ++sent;
    },
    kill() {
      if (!exited) void worker?.terminate();
    },
    logsItems: true,
    itemStartedAt(id) {
      // The thread writes the item's start before the id (thread-port.ts): a matching id comes with its own start.
      return running[0] === id && running[2]! > 0 ? running[2] : undefined;
    },
    memory() {
      return undefined;
    },
    unref() { refd = false; worker?.unref(); port1.unref(); },
  } satisfies RuntimeWorker;
};

/** A message the port could not deserialize, as the pool judges it (engine/failures.ts). */
function undecodable(err: unknown): UndecodableMessageError {
  return new UndecodableMessageError(`a message could not be decoded: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * `env` without its undefined entries. A process's spawn leaves those out of
 * the child's environment, but a Worker would turn each into the string
 * 'undefined': the two runtimes must agree.
 */
function definedOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
