/**
 * forkpool: Python's multiprocessing Pool for Node.js and TypeScript.
 * See docs/architecture.md for how the pieces fit.
 */
export { Pool } from './pool/pool.js';
export type {
  CallOptions, ApplyOptions, TransferItem, ApplyAsyncOptions, MapOptions, MapAsyncOptions, ImapOptions, ImapSettledOptions,
  PoolEvents, WorkerInfo, WorkerExitInfo, TaskErrorInfo,
} from './pool/pool.js';
export { AsyncResult } from './pool/async-result.js';
export type { SettledItem } from './pool/imap.js';
export type { LogLine } from './engine/logs.js';
export type { PoolStats, WorkerStats, ExitReason, FailureKind } from './engine/stats.js';
export type { PoolOptions, Runtime, LogsOption, BackendOptions } from './options.js';
export type { AnyModule, TaskName, TaskArgs, TaskResult, MapItem, NeedsStarmap } from './pool/types.js';
export { SIGKILL_GRACE_MS } from './engine/supervisor.js';
export {
  ForkpoolError, WorkerCrashedError, PoolClosedError, PoolTerminatedError, WorkerStartError, PoolBrokenError,
  UnknownTaskError, ResultTimeoutError, TaskTimeoutError, AbortError, MemoryLimitError, QueueFullError,
  QueueEmptyError, DataCloneError, CallbackError, NonErrorThrownError, InvalidStateError,
} from './errors.js';
export type { ForkpoolErrorCode } from './errors.js';

// Shared objects between processes (see docs/manager.md, docs/queue.md, docs/pipe.md).
export {
  Manager, SharedList, SharedDict, SharedValue, Lock, RLock, Semaphore, Event, Barrier, Condition,
  Queue, JoinableQueue, Pipe, Connection,
  EOFError, BrokenBarrierError, LockHolderDiedError, ManagerShutdownError, QueueClosedError, PipeClosedError, RecvTimeoutError, AcquireTimeoutError,
} from './shared/index.js';
export type { QueueOptions, PipeOptions, LockHold, WaitOptions } from './shared/index.js';

// Checkpoint and resume (see docs/journal.md).
export { JournalMismatchError, JournalCorruptError, JournalLockedError, NotAJournalError } from './journal/errors.js';
export type { JournalOptions } from './journal/journaled.js';

// Scale-out on BullMQ/Redis (see docs/distributed.md); bullmq and ioredis load only when `backend` is set.
export {
  RedisConnectionError, RedisDataLostError, WorkerLostError, ModuleMismatchError, PayloadTooLargeError, ResultTooLargeError,
  MissingDependencyError,
} from './cluster/errors.js';
