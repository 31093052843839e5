/**
 * The entry point of every worker, process or thread.
 *
 * Start-up: take `init` from the port, load the task module (the TypeScript
 * loader only for a TypeScript module, so plain JS workers start lean), run
 * the initializer, report `ready` with the exported names, then listen.
 *
 * Running: tasks arrive in batches and wait in a local FIFO. They run one at a
 * time (or up to `concurrentTasksPerWorker` at once), and each result is sent
 * the moment it exists, before the task that takes its place starts. Every
 * task that starts is known to the parent first (named as `nx` by the result
 * before it, or announced with `started`). So when this worker dies, the
 * parent knows exactly which tasks were running, and every other task it had
 * sent never started.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { PROTOCOL_VERSION, type Command, type InitCommand, type Outcome, type TransferItem, type WireTask } from '../protocol/messages.js';
import { cloneable, encodeError, type EncodedError } from '../protocol/values.js';
import { cloneFailure } from '../protocol/clone-failure.js';
import { workerState, type TaskContext } from './task-context.js';
import { isMoved } from './moved.js';
import type { WorkerPort } from './port.js';
import type * as SharedCodec from '../shared/codec.js';
import { captureOutput, sendOutput } from './capture-output.js';
import { loadTaskModule, type TaskTable } from './load-module.js';
import { memoryUse, watchOwnMemory, withLogCredit } from './thread-side.js';
import { NUMERIC_CHUNK_MIN } from '../protocol/numeric.js';
import { NO_VALUES, valuesOf } from './chunk-values.js';
import { takeProcessWorkerArg } from './kind.js';
import { now } from '../util/clock.js';
import { call, movedWith, useSharedCodec, type TaskFn } from './call.js';
import { openProcessPort } from './process-port.js';
import { openThreadPort, type ThreadWorkerData } from './thread-port.js';
import { concurrentContexts } from './concurrent.js';

/** A worker process (not a thread): node:worker_threads is loaded only by threads, which need its workerData. */
const isProcess = takeProcessWorkerArg();
/** What a result crosses to reach the pool, for DataCloneError's message. */
const BETWEEN = isProcess ? 'processes' : 'threads';
/** What the thread runtime hands a worker thread (runtime/thread.ts); undefined in a process. Read synchronously: V8
 *  aborts the process when a thread is terminated while a module with a top-level await evaluates (nodejs/node#43182). */
const workerData = isProcess ? undefined : process.getBuiltinModule('node:worker_threads').workerData as ThreadWorkerData;
const port: WorkerPort = isProcess ? openProcessPort() : openThreadPort(workerData!.port, workerData!.running, workerData!.init, workerData!.itemLog);
const state = workerState();
const queue: WireTask[] = [];
const aborted = new Map<number, unknown>();
let tasks: TaskTable = new Map();
let init: InitCommand | undefined;
/** The running tasks, each with what aborts its signal (created lazily: most tasks never look at it). */
const running = new Map<number, (reason: unknown) => void>();
/** Tasks run at once (`concurrentTasksPerWorker`). */
let limit = 1;
/** Each running task's context, when several run at once (one at a time, `state.current` is enough and cheaper). */
let contexts: AsyncLocalStorage<TaskContext> | undefined;
let stopping = false;
/**
 * The task the parent was told starts next (the last result's `nx`). Any
 * other task must announce itself with `started` before it runs, or the
 * parent would take it for unstarted after a crash and run it again.
 */
let announcedNext: number | undefined;
let hub: { receive(m: unknown): void; taskEnded(id: number): void } | undefined;
/**
 * The shared-object runtime is loaded only when a task brings a shared object:
 * it is a sizeable module graph, and most pools never use it (it would cost
 * every worker several MB of RSS and start-up time). A worker cannot create
 * shared objects itself, so until then its results cannot hold any.
 */
let shared: typeof SharedCodec | undefined;

async function loadShared(): Promise<typeof SharedCodec> {
  if (shared) return shared;
  const [codec, link] = await Promise.all([import('../shared/codec.js'), import('../shared/link.js')]);
  hub = link.attachWorkerHub((m) => port.send({ t: 'hub', m }), () => currentContext()?.id ?? 0, limit > 1);
  useSharedCodec(codec);
  return (shared = codec);
}
const decodeShared = (v: unknown) => shared!.decodeShared(v);

port.onParentGone(() => port.exit(0));
if (isProcess) {
  // The pool decides what a Ctrl-C means (finish, terminate); a worker dying
  // on its own would turn every running task into a crash. Workers lead their
  // own process group, so a terminal's Ctrl-C does not reach them; a SIGINT
  // sent to the worker directly is ignored too. If the parent dies, this
  // worker sees EOF on its command pipe and exits, and the reaper backs that up.
  process.on('SIGINT', () => {});
}
port.onCommand((cmd: Command) => {
  switch (cmd.t) {
    case 'init': void start(cmd); break;
    case 'run': queue.push(...cmd.tasks); pump(); break;
    case 'abort':
      if (running.has(cmd.id)) running.get(cmd.id)!(cmd.reason);
      else aborted.set(cmd.id, cmd.reason);
      break;
    case 'stop': stopping = true; if (running.size === 0) finish(); break;
    case 'reclaim': reclaim(cmd.ids); break;
    case 'hub': hub?.receive(cmd.m); break;
    case 'logs': sendOutput(cmd.on === 1); break; // a 'silent' pool's 'log' listener came or went (capture-output.ts)
  }
});
// A process that could not read init at once gets it as its first command.
if (port.init) void start(port.init);
else port.listen();

async function start(cmd: InitCommand): Promise<void> {
  init = cmd;
  state.workerId = cmd.workerId;
  state.runtime = cmd.runtime;
  // With logs 'silent', output is dropped here (until a `logs` command): sending megabytes only to drop them costs the parent memory.
  const sendLog = (stream: 'stdout' | 'stderr', text: string) => port.send({ t: 'log', s: stream, x: text, task: currentContext()?.id ?? null });
  captureOutput(cmd.logs !== 0, isProcess ? sendLog : withLogCredit(sendLog, workerData!.logBacklog));
  if (cmd.concurrency !== undefined && cmd.concurrency > 1) {
    limit = cmd.concurrency;
    state.contexts = contexts = await concurrentContexts(port);
  }
  if (cmd.v !== PROTOCOL_VERSION) {
    port.send({ t: 'startError', phase: 'protocol', e: encodeError(new Error(`forkpool protocol mismatch: pool speaks v${cmd.v}, worker entry v${PROTOCOL_VERSION} (two different forkpool versions?)`)) });
    return port.exit(1);
  }
  try {
    tasks = await loadTaskModule(cmd.module);
  } catch (err) {
    port.send({ t: 'startError', phase: 'import', e: encodeError(err) });
    return port.exit(1);
  }
  if (cmd.initializer) {
    // An initializer may wait on shared objects, whose replies come as commands.
    port.listen();
    try {
      const fn = tasks.get(cmd.initializer);
      if (typeof fn !== 'function') throw new TypeError(`initializer ${JSON.stringify(cmd.initializer)} is not an exported function`);
      if (cmd.h) await loadShared();
      await fn(...(cmd.h ? (decodeShared(cmd.initargs) as unknown[]) : cmd.initargs));
    } catch (err) {
      port.send({ t: 'startError', phase: 'initializer', e: encodeError(err) });
      return port.exit(1);
    }
  }
  if (!isProcess && cmd.hardMemoryLimit !== undefined) watchOwnMemory(cmd.hardMemoryLimit, () => running.size > 0, (m) => port.send({ t: 'overLimit', mem: m }));
  port.send({ t: 'ready', v: PROTOCOL_VERSION, pid: process.pid, exports: [...tasks.keys()] });
  // The pool answers at once (a run, or `go`: nothing to do): take it before opening the slower reader.
  if (cmd.answersReady) port.readOne?.();
  port.listen();
}

/**
 * Starts queued tasks while fewer than `limit` run. A task registers itself
 * as running before its first await, so this loop never starts too many. A
 * task that finished synchronously (runTask returned nothing) has already sent
 * its result and left `running`: the loop goes straight on to the next one,
 * as the promise reaction it replaces would have in this same turn.
 */
function pump(): void {
  let ranSync = false;
  while (!stopping && running.size < limit && queue.length > 0) {
    const task = queue.shift()!, pending = runTask(task);
    // A run that threw past its own handling (a result unsendable even as an error, a bug) fails its task, never leaves it waiting.
    if (pending) void pending.then(afterTask, (err: unknown) => { sendOne(task, { ok: false, e: encodeError(err) }, now()); afterTask(); });
    else ranSync = true;
  }
  // A synchronous task may have stopped this worker (over its memory limit): exit once nothing runs.
  if (ranSync && stopping && running.size === 0) finish();
}

function afterTask(): void {
  if (!stopping) pump();
  else if (running.size === 0) finish();
}

function currentContext(): TaskContext | undefined {
  return contexts ? contexts.getStore() : state.current;
}

/** Takes the listed tasks out of the local queue if they have not started, and says which. */
function reclaim(ids: number[]): void {
  const wanted = new Set(ids);
  const kept: WireTask[] = [];
  const returned: number[] = [];
  for (const t of queue) {
    // The announced next task is as good as started: the parent already counts it as running.
    if (wanted.has(t.id) && t.id !== announcedNext) returned.push(t.id);
    else kept.push(t);
  }
  queue.splice(0, queue.length, ...kept);
  port.send({ t: 'returned', ids: returned });
}

/**
 * Runs one task; returns a promise only if it did not finish synchronously.
 * The common case (one task at a time, a single call, no shared objects, a
 * function that returns a plain value) sends its result before returning,
 * with no promise or microtask of its own: most of a small task's cost here.
 */
function runTask(task: WireTask): Promise<void> | undefined {
  const fn = tasks.get(task.n);
  const t0 = now();
  if (aborted.has(task.id)) {
    const reason = aborted.get(task.id);
    aborted.delete(task.id);
    sendOne(task, { ok: false, e: encodeError(reason instanceof Error ? reason : new Error('aborted before start')) }, t0);
    return undefined;
  }
  // The parent must know whether a task started, to blame only the running task
  // when this worker dies. A task named by the previous result's `nx` is known;
  // any other (after an idle gap, or queued after that result was sent) is
  // announced here before it runs: recorded where the parent reads it only
  // if this worker dies (port.recordStart: no message, nobody woken), or
  // with a blocking `started` write. Tasks with a timeout or a signal always
  // send `started`: their clock starts at once.
  if (task.s) port.send({ t: 'started', id: task.id });
  else if (task.id !== announcedNext) {
    if (port.recordStart && limit === 1) port.recordStart(task.id, task.at ?? 1);
    else port.send({ t: 'started', id: task.id });
  } else if (!isProcess && port.recordStart && limit === 1) port.recordStart(task.id, task.at ?? 1); // the `nx` naming it may not decode there; a thread's record costs two stores
  announcedNext = undefined;
  let controller: AbortController | undefined;
  let abortedWith: { reason: unknown } | undefined;
  running.set(task.id, (reason) => {
    abortedWith = { reason };
    controller?.abort(reason);
  });
  const ctx: TaskContext = {
    id: task.id, name: task.n, workerId: init!.workerId, attempt: task.at ?? 1, key: task.k, runtime: init!.runtime,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (abortedWith) controller.abort(abortedWith.reason);
      }
      return controller.signal;
    },
  };
  if (!contexts && !task.h && !(task.c || task.m || task.mf)) {
    // One at a time, a single call: no context store, no async hop unless the function returns a promise.
    state.current = ctx;
    const o = call(fn, task.a ?? [], false);
    if (o instanceof Promise) return finishAsync(task, o, t0);
    try {
      sendOne(task, o, t0);
    } finally {
      state.current = undefined;
      running.delete(task.id);
    }
    return undefined;
  }
  return runAsync(task, ctx, fn, t0);
}

/** The rest of a single call whose function returned a promise: `state.current` stays set until it settles. */
async function finishAsync(task: WireTask, o: Promise<Outcome>, t0: number): Promise<void> {
  try {
    sendOne(task, await o, t0);
  } finally {
    state.current = undefined;
    running.delete(task.id);
  }
}

/** Chunks, tasks bringing shared objects, and several tasks at once. */
async function runAsync(task: WireTask, ctx: TaskContext, fn: TaskFn | undefined, t0: number): Promise<void> {
  try {
    if (task.h && !shared) await loadShared();
    if (contexts) await contexts.run(ctx, execute, task, fn, t0);
    else {
      state.current = ctx;
      if (task.c || task.m || task.mf) await runChunk(task, fn, t0);
      else sendOne(task, await call(fn, task.a ?? [], task.h === 1), t0);
    }
  } finally {
    if (!contexts) state.current = undefined;
    running.delete(task.id);
  }
}

async function execute(task: WireTask, fn: TaskFn | undefined, t0: number): Promise<void> {
  if (task.c || task.m || task.mf) return runChunk(task, fn, t0);
  sendOne(task, await call(fn, task.a ?? [], task.h === 1), t0);
}

/**
 * Runs a chunk's items in order. Values go in one array and failures in a
 * short side list, so a healthy chunk of a million numbers costs one array,
 * not a million wrapper objects. Sync results are not awaited.
 */
async function runChunk(task: WireTask, fn: TaskFn | undefined, t0: number): Promise<void> {
  const spread = task.c !== undefined;
  const list: ArrayLike<unknown> = task.c ?? task.m ?? task.mf!;
  const handles = task.h === 1;
  // While every result so far is a number, results go straight into the
  // Float64Array that crosses (see WireTask.mf): no array of a million values
  // to fill and then copy. The first other result (or error) turns them into an array.
  let vf = list.length >= NUMERIC_CHUNK_MIN ? new Float64Array(list.length) : undefined;
  let values: unknown[] = vf ? NO_VALUES : new Array<unknown>(list.length);
  let errors: Array<[number, EncodedError]> | undefined;
  let transfer: TransferItem[] | undefined;
  // Each item's own run time, so one slow item is not averaged away over its
  // chunk: one clock read per item. Only when the caller shows items one by
  // one (imap, the CLI): a float per item would double a map's payload. A
  // chunk of one has its time in `ms`.
  const times = task.pt && list.length > 1 ? new Array<number>(list.length) : undefined;
  let last = now();
  // `pi`: the timeout covers each item (the parent re-arms the chunk's clock from the running item's start).
  // `s` (a signal or a timeout): once aborted, no further item starts; the parent discards the result.
  const itemClock = task.pi && limit === 1 ? port.recordItem : undefined, signal = task.s ? currentContext()?.signal : undefined;
  // `pl`: each finished item is logged before the next starts (protocol/item-log.ts), for exact blame if this worker dies.
  let log = task.pl && limit === 1 && list.length > 1 ? port.itemLog : undefined;
  log?.begin(task.id);
  if (task.pl && !log && list.length > 1) port.send({ t: 'unlogged', id: task.id });
  for (let i = 0; i < list.length; i++) {
    if (signal?.aborted) break;
    if (itemClock) itemClock(task.id, task.at ?? 1, now());
    let r: unknown, failed: EncodedError | undefined;
    try {
      if (typeof fn !== 'function') throw new TypeError('not an exported function');
      const item = handles ? decodeShared(list[i]) : list[i];
      r = spread ? fn(...(item as unknown[])) : fn(item);
      if (r !== null && typeof r === 'object') {
        if (typeof (r as PromiseLike<unknown>).then === 'function') r = await r;
        if (r !== null && typeof r === 'object' && isMoved(r)) {
          (transfer ??= []).push(...r.transfer);
          r = r.value;
        }
      }
      if (vf !== undefined && typeof r === 'number') vf[i] = r;
      else {
        if (vf !== undefined) [values, vf] = [valuesOf(vf, i), undefined];
        values[i] = r;
      }
    } catch (err) {
      if (vf !== undefined) [values, vf] = [valuesOf(vf, i), undefined];
      (errors ??= []).push([i, (failed = encodeError(err))]);
    }
    if (times || log) {
      const t = now();
      if (times) times[i] = t - last;
      if (log && !log.append(i, t - last, failed === undefined, failed ?? r)) {
        log = undefined;
        port.send({ t: 'unlogged', id: task.id });
      }
      last = t;
    }
  }
  // A moved result's transfer list goes with an array of values.
  if (vf && transfer) [values, vf] = [valuesOf(vf, vf.length), undefined];
  // Until a shared object has arrived, results cannot hold one: skip the walk.
  const enc = vf ? undefined : shared?.encodeShared(values);
  const ms = now() - t0;
  beforeResult(task.id);
  const nx = (announcedNext = queue[0]?.id);
  if (vf) {
    // A thread moves the block instead of copying it; a process writes its bytes into the pipe.
    return port.send({ t: 'done', id: task.id, vf, ms, it: times, nx }, [vf.buffer]);
  }
  try {
    port.send({ t: 'done', id: task.id, v: enc ? (enc.value as unknown[]) : values, e: errors, h: enc?.found ? 1 : undefined, ms, it: times, nx }, transfer);
  } catch (err) {
    // Some value cannot cross: fail those items alone, keep the others.
    for (let i = 0; i < values.length; i++) {
      if (!cloneable(values[i])) {
        values[i] = undefined;
        (errors ??= []).push([i, encodeError(cloneFailure('the result', err, BETWEEN))]);
      }
    }
    port.send({ t: 'done', id: task.id, v: values, e: errors, ms, it: times, nx });
  }
}

/** Sends a single call's result; a value that cannot be serialized (or moved) fails that task alone. */
function sendOne(task: WireTask, o: Outcome, t0: number): void {
  const ms = now() - t0;
  beforeResult(task.id);
  const nx = (announcedNext = queue[0]?.id);
  try {
    port.send({ t: 'done', id: task.id, o, ms, nx }, o.ok && typeof o.v === 'object' ? movedWith.get(o) : undefined);
  } catch (err) {
    port.send({ t: 'done', id: task.id, o: { ok: false, e: encodeError(cloneFailure('the result', err, BETWEEN)) }, ms, nx });
  }
}

/**
 * Before a task's result: the hub learns which JoinableQueue items the task took (shared/link.ts).
 * Past the memory limit: hand back the tasks not started and stop, so the parent knows it is going when the result arrives.
 */
function beforeResult(id: number): void {
  hub?.taskEnded(id);
  if (init?.memoryLimit === undefined || stopping) return;
  const mem = memoryUse(isProcess);
  if (mem <= init.memoryLimit) return;
  const returned = queue.splice(0).map((t) => t.id);
  // The parent may hold one of them as announced (`nx` of a result sent while
  // another task ran): `returned` tells it that task never started here.
  announcedNext = undefined;
  port.send({ t: 'recycle', mem, returned });
  stopping = true;
}

/** A function declaration (hoisted): an early `stop` can call it while this module is still evaluating. */
function finish(): void { port.exit(0); }
