/**
 * Starting one worker: its spawn spec, its `init` command and its start
 * clock. The supervisor gives the handlers; everything the worker needs to
 * know about the pool's options is decided here.
 */
import { WorkerStartError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { PROTOCOL_VERSION, type InitCommand, type WorkerEvent } from '../protocol/messages.js';
import { decodeError } from '../protocol/values.js';
import type { RuntimeHandlers, SpawnWorker } from '../runtime/types.js';
import { encodeShared } from '../shared/codec.js';
import { armStartTimeout } from './guards.js';
import type { WorkerSlot } from './worker-slot.js';

const MB = 1024 * 1024;

/** V8 heap cap in bytes implied by the options (for MemoryLimitError), if any. */
export function heapLimitBytes(opts: ResolvedOptions): number | undefined {
  return opts.maxMemory ?? (opts.maxOldGenerationSizeMb !== undefined ? opts.maxOldGenerationSizeMb * MB : undefined);
}

/** Spawns `w`'s worker and sends its init; a worker not ready within `startTimeout` is killed (a failed start). */
export function startWorker(w: WorkerSlot, opts: ResolvedOptions, moduleHref: string, spawn: SpawnWorker, handlers: RuntimeHandlers, sendLogs: boolean): void {
  const hard = opts.maxMemory !== undefined ? opts.maxMemory * opts.hardMemoryFactor : undefined;
  w.runtime = spawn({
    workerId: w.id,
    execArgv: opts.execArgv,
    env: opts.env,
    cwd: opts.cwd,
    // V8's heap is capped at the hard limit too, so a JS heap explosion ends as a memory error.
    maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb ?? (hard !== undefined ? Math.ceil(hard / MB) : undefined),
  }, handlers);
  const initargs = encodeShared(opts.initargs);
  const init: InitCommand = {
    t: 'init', v: PROTOCOL_VERSION, module: moduleHref, workerId: w.id, h: initargs.found ? 1 : undefined,
    initializer: opts.initializer, initargs: initargs.value as unknown[],
    memoryLimit: opts.maxMemory, hardMemoryLimit: hard, runtime: opts.runtime, logs: sendLogs ? undefined : 0,
    concurrency: opts.concurrentTasksPerWorker > 1 ? opts.concurrentTasksPerWorker : undefined,
  };
  w.startTimer = armStartTimeout(opts.startTimeout, () => {
    if (w.state !== 'starting') return;
    w.startError = new WorkerStartError(w.id, `it was not ready within ${opts.startTimeout} ms (startTimeout): a module import or initializer that never finishes?`);
    // No killReason: this exit is a failed start (backoff, then PoolBrokenError).
    w.runtime.kill('SIGKILL');
  });
  try {
    w.runtime.send(init);
  } catch (err) {
    w.startError = new WorkerStartError(w.id, `could not send initargs: ${(err as Error).message}`, err);
    w.runtime.kill('SIGKILL');
  }
}

/** The start error a worker reported (its module threw on import, its initializer threw, a version mismatch). */
export function reportedStartError(w: WorkerSlot, ev: Extract<WorkerEvent, { t: 'startError' }>, initializer: string | undefined): WorkerStartError {
  const cause = decodeError(ev.e);
  const what = ev.phase === 'initializer' ? `the initializer ${JSON.stringify(initializer)} threw`
    : ev.phase === 'import' ? 'the task module threw while loading' : 'protocol mismatch';
  return new WorkerStartError(w.id, `${what}: ${cause.message}`, cause);
}
