/**
 * Typed errors of the distributed backend (see docs/distributed.md). Same
 * rules as src/errors.ts: a stable `code`, a set `name`, `instanceof` across
 * copies of the package.
 */
import { ForkpoolError } from '../errors.js';

/** Redis could not be reached, refused the credentials, or went away for too long. The URL is shown without its password. */
export class RedisConnectionError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_REDIS_CONNECTION';
  readonly url: string;
  constructor(url: string, reason: string, cause?: unknown) {
    super(`Cannot use Redis at ${url}: ${reason}`, { cause });
    this.url = url;
  }
}

/**
 * The job holding the task was lost by the nodes more often than the lock
 * settings allow (its node died or lost Redis while running it, `maxStalledCount` times),
 * or failed for a reason of the infrastructure rather than of the task.
 */
export class WorkerLostError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_WORKER_LOST';
  constructor(reason: string) {
    super(`The node running the task was lost: ${reason}`);
  }
}

/** Nodes are running, but none with this pool's module version. */
export class ModuleMismatchError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_MODULE_MISMATCH';
  readonly version: string;
  readonly found: readonly string[];
  constructor(version: string, found: readonly string[]) {
    super(`No node runs module version ${version}; the nodes run ${found.join(', ')}. Start \`forkpool worker\` with the same module file (or the same --module-version)`);
    this.version = version;
    this.found = found;
  }
}

/** The arguments of one call are too large to send as a job. */
export class PayloadTooLargeError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_PAYLOAD_TOO_LARGE';
  constructor(bytes: number, limit: number) {
    super(`The arguments of the task take ${bytes} bytes, more than the ${limit} bytes a distributed task may carry`);
  }
}

/** `backend` was set but `bullmq` or `ioredis` is not installed. */
export class MissingDependencyError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_MISSING_DEPENDENCY';
  constructor(name: string, cause: unknown) {
    super(`The distributed backend needs the package ${JSON.stringify(name)}: npm install bullmq ioredis`, { cause });
  }
}

/** One item's result takes more than `maxResultBytes` (16 MB): that item fails, the rest of its chunk succeeds. */
export class ResultTooLargeError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_RESULT_TOO_LARGE';
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number) {
    super(`The task's result takes ${bytes} bytes, more than the ${limit} bytes a distributed result may take (return a reference, such as a file path, instead)`);
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * Redis came back without this pool's data (restarted without persistence,
 * flushed, failed over to an empty replica): outstanding tasks may be lost,
 * so they all reject instead of waiting forever.
 */
export class RedisDataLostError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_REDIS_DATA_LOST';
  constructor(url: string) {
    super(`Redis at ${url} lost the pool's data (it restarted without persistence or was flushed); the outstanding tasks may be lost. Use appendonly yes; journaled runs can be resumed`);
  }
}
