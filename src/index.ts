/**
 * forkpool: Python's multiprocessing Pool for Node.js and TypeScript.
 * See docs/architecture.md for how the pieces fit.
 */
export { Pool } from './pool/pool.js';
export type {
  CallOptions, ApplyAsyncOptions, MapOptions, MapAsyncOptions, ImapOptions, ImapSettledOptions,
  PoolEvents, WorkerInfo, WorkerExitInfo, TaskErrorInfo,
} from './pool/pool.js';
export { AsyncResult } from './pool/async-result.js';
export type { SettledItem } from './pool/imap.js';
export type { LogLine } from './pool/logs.js';
export type { PoolStats, WorkerStats, ExitReason, FailureKind } from './pool/stats.js';
export type { PoolOptions, Runtime, LogsOption } from './options.js';
export type { AnyModule, TaskName, TaskArgs, TaskResult } from './pool/types.js';
export { SIGKILL_GRACE_MS } from './pool/supervisor.js';
export {
  ForkpoolError, WorkerCrashedError, PoolClosedError, PoolTerminatedError, WorkerStartError, PoolBrokenError,
  UnknownTaskError, ResultTimeoutError, TaskTimeoutError, AbortError, MemoryLimitError, QueueFullError,
  QueueEmptyError, DataCloneError, CallbackError, NonErrorThrownError, InvalidStateError,
} from './errors.js';
export type { ForkpoolErrorCode } from './errors.js';
