/** The public API of shared objects; re-exported from 'forkpool'. */
export { Manager } from './manager.js';
export { SharedList } from './list.js';
export { SharedDict } from './dict.js';
export { SharedValue } from './value.js';
export { Lock, RLock, Semaphore } from './locks.js';
export { Event } from './event.js';
export { Barrier } from './barrier.js';
export { Condition } from './condition.js';
export { Queue, JoinableQueue, type QueueOptions } from './queue.js';
export { Pipe, Connection, type PipeOptions } from './pipe.js';
export type { LockHold } from './hold.js';
export type { WaitOptions } from './options.js';
export {
  EOFError, BrokenBarrierError, LockHolderDiedError, ManagerShutdownError,
  QueueClosedError, PipeClosedError, RecvTimeoutError,
} from './errors.js';
export { QueueFullError, QueueEmptyError } from '../errors.js';
