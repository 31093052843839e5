/**
 * Calling the user's code from inside the engine: a pool's event listeners
 * (`pool.on('log' | 'workerStart' | 'workerExit' | 'taskError')`) and a
 * `logs: (line) => void` function.
 *
 * The engine calls them in the middle of a state change (a worker's event
 * being applied, an exit being judged, a task being settled). A throw from
 * there once unwound into the engine: a worker's event handler took it for a
 * protocol failure and killed an innocent worker, a task never settled, an
 * exit was half handled. So what they throw is caught here and thrown again
 * on the next tick, outside the engine: the pool carries on exactly as if
 * nothing had been thrown, and the error is still an uncaught exception, as a
 * throwing listener of any emitter called from I/O is (a process with an
 * `uncaughtException` handler keeps a working pool). A listener after the one
 * that threw is not called for that event, as with any `emit`. An async
 * listener's rejected promise is not ours: Node's unhandled-rejection
 * behaviour applies, as with any emitter.
 */
import type { EventEmitter } from 'node:events';

/** `events.emit(name, ...args)`; what a listener throws is thrown again on the next tick, never into the caller. */
export function emitSafely(events: EventEmitter, name: string, ...args: unknown[]): void {
  try {
    events.emit(name, ...args);
  } catch (err) {
    throwLater(err);
  }
}

/** `fn(arg)`, user code: what it throws is thrown again on the next tick, never into the caller. */
export function callSafely<T>(fn: (arg: T) => void, arg: T): void {
  try {
    fn(arg);
  } catch (err) {
    throwLater(err);
  }
}

/** An uncaught exception of its own, on the next tick, with the thrown value itself (not wrapped). */
function throwLater(err: unknown): void {
  process.nextTick(() => { throw err; });
}
