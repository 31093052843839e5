/**
 * The public API of shared objects; re-exported from 'forkpool'.
 *
 *   objects/   the public classes and their Refs (main side: LocalRef; worker side: RemoteRef, worker-link)
 *   hub/       the hub in the main process: dispatch, replies, waiters, garbage collection
 *   state/     what the hub holds for each object, and its operations
 *   codec.ts   handles and the walk that swaps shared objects for them
 *   link.ts    the entry point of the pool and the worker entry
 */
// Installs the handle resolver, so values taken out of shared objects can hold shared objects.
import './objects/resolve.js';

export { Manager } from './objects/manager.js';
export { SharedList } from './objects/list.js';
export { SharedDict } from './objects/dict.js';
export { SharedValue } from './objects/value.js';
export { Lock, RLock, Semaphore } from './objects/locks.js';
export { Event } from './objects/event.js';
export { Barrier } from './objects/barrier.js';
export { Condition } from './objects/condition.js';
export { Queue, JoinableQueue, type QueueOptions } from './objects/queue.js';
export { Pipe, Connection, type PipeOptions } from './objects/pipe.js';
export type { LockHold } from './objects/hold.js';
export type { WaitOptions } from './options.js';
export {
  EOFError, BrokenBarrierError, LockHolderDiedError, ManagerShutdownError,
  QueueClosedError, PipeClosedError, RecvTimeoutError, AcquireTimeoutError,
} from './errors.js';
export { QueueFullError, QueueEmptyError } from '../errors.js';
