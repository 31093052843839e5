/**
 * Names and settings shared by the client (ClusterEngine) and the nodes
 * (`forkpool worker`). docs/distributed.md derives the recovery bound from them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** BullMQ key prefix: every key of a distributed pool starts with `forkpool:`. */
export const PREFIX = 'forkpool';
/** Bumped on any incompatible change of the job payload (codec.ts). */
export const JOB_FORMAT = 1;

/**
 * Lock settings of the nodes. Safe because user code never runs on a node's
 * event loop (it runs in the node's local worker processes), so lock renewal
 * is never starved. A dead node's job is back in `wait` at most
 * LOCK_DURATION_MS + STALLED_INTERVAL_MS after its last renewal.
 */
export const LOCK_DURATION_MS = 5_000;
export const STALLED_INTERVAL_MS = 2_000;
export const MAX_STALLED_COUNT = 1;
/** BullMQ retries a job only for infrastructure errors: task errors and crashes are results. */
export const JOB_ATTEMPTS = 3;
/** Backstop for jobs nobody collected (a client that died): gone after a day. */
export const KEEP_FINISHED_S = 24 * 3600;

/** The options of every job a client or a node adds (a node re-adds spilled tasks: spill.ts). */
export function jobOptions(jobId: string) {
  return { jobId, attempts: JOB_ATTEMPTS, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } };
}

export const HEARTBEAT_MS = 5_000;
export const HEARTBEAT_TTL_S = 15;
/** Connecting (and the first PING) may take this long before RedisConnectionError. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** SIGTERM on a node: running jobs get this long to finish, then go back to `wait`. */
export const DRAIN_MS = 10_000;

/**
 * Every node runs the recovery sweep (recover.ts) this often; a shared key
 * makes it one sweep per period for the whole queue, however many nodes.
 * A lost job is back in `wait` at most SWEEP_MS after its lock expired or
 * its node's heartbeat did.
 */
export const SWEEP_MS = 1_000;

/**
 * A task of a job that has waited this long on its node behind the job's
 * other tasks, without starting, is re-added as a job of its own
 * (`<job id>~<index>`) for any node to take: a task that never ends no longer
 * holds the tasks packed with it while another node is idle.
 */
export const SPILL_AFTER_MS = 1_000;
/** A job a node made of one task of another job (`<parent id>~<index>`). */
export const SPILLED_ID = /^(.+)~(\d+)$/;

/** Results of one job larger than this (encoded) go under their own key, never into the job hash or the events stream. */
export const INLINE_RESULT_BYTES = 64 * 1024;
/** One item's result may take this much (v8 encoding); a larger one fails alone with ResultTooLargeError. */
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;

/**
 * Redis away this long (client side, counted from the first failed command or
 * lost connection): every outstanding task rejects with RedisConnectionError.
 * FORKPOOL_REDIS_UNAVAILABLE_TIMEOUT (ms) overrides it (tests).
 */
export const UNAVAILABLE_TIMEOUT_MS = 60_000;
/** `backend.unavailableTimeout` (ms); FORKPOOL_REDIS_UNAVAILABLE_TIMEOUT (ms) overrides the default (tests). */
export function unavailableTimeout(backend: object): number {
  const given = (backend as { unavailableTimeout?: unknown }).unavailableTimeout;
  const env = Number(process.env.FORKPOOL_REDIS_UNAVAILABLE_TIMEOUT);
  if (Number.isFinite(env) && env > 0 && given === UNAVAILABLE_TIMEOUT_MS) return env;
  return typeof given === 'number' && given > 0 ? given : UNAVAILABLE_TIMEOUT_MS;
}

/**
 * Length BullMQ trims the queue's events stream to (its own default, 10,000).
 * Results never depend on the stream (reader.ts polls job hashes), so a short
 * stream only costs wake-ups. FORKPOOL_REDIS_EVENTS_MAXLEN overrides it (tests
 * use 100 to prove that trimmed events lose nothing).
 */
export const EVENTS_MAX_LEN = 10_000;
export function eventsMaxLen(): number {
  const env = Number(process.env.FORKPOOL_REDIS_EVENTS_MAXLEN);
  return Number.isInteger(env) && env > 0 ? env : EVENTS_MAX_LEN;
}

/** After Redis is back, the epoch key is checked within this long (RedisDataLostError). */
export const EPOCH_CHECK_MS = 2_000;

/** Packing: at most this many items and bytes of arguments in one job. */
export const MAX_ITEMS_PER_JOB = 100;
export const MAX_JOB_BYTES = 256 * 1024;
/** Arguments of one call. */
export const MAX_TASK_BYTES = 16 * 1024 * 1024;

/** The BullMQ queue of one module version: `<queue>.<version>`. */
export function versionedQueue(queue: string, version: string): string {
  return `${queue}.${version}`;
}

/** Node registry of a queue name (all versions): a set of node ids, and one heartbeat key per node. */
export function nodesKey(queue: string): string {
  return `${PREFIX}:${queue}:nodes`;
}
export function nodeKey(queue: string, id: string): string {
  return `${PREFIX}:${queue}:node:${id}`;
}
/**
 * Set (PX HEARTBEATS_WIPED_MS) by a live node that finds its own heartbeat
 * gone before its TTL (FLUSHALL, a restart without persistence): other live
 * nodes' heartbeats are gone too until they write them again, so meanwhile
 * the recovery sweep takes no job for want of its node's heartbeat (recover.ts).
 */
export function heartbeatsWipedKey(queue: string): string {
  return `${PREFIX}:${queue}:heartbeats-wiped`;
}
/** Each live node writes its heartbeat again within a sweep (SWEEP_MS) or a beat (HEARTBEAT_MS) of a wipe. */
export const HEARTBEATS_WIPED_MS = HEARTBEAT_MS;

/** What a node says about itself every HEARTBEAT_MS. */
export interface Heartbeat {
  id: string;
  host: string;
  pid: number;
  version: string;
  exports: string[];
  slots: number;
  at: number;
  /** Stopping (SIGTERM): finishes what it runs, takes nothing new, counts for no capacity. */
  draining?: boolean;
}

/** Key of a job's result when it is too large to travel inline; the lock token makes each run's key its own. */
export function resultKey(jobKey: string, token: string): string {
  return `${jobKey}:result:${token}`;
}

/** Pub/sub channel on which clients ask nodes to abort running tasks (cancel.ts). */
export function cancelChannel(queueName: string): string {
  return `${PREFIX}:${queueName}:cancel`;
}

/** `<job id> <task indexes, or *> <a|w>`: abort (`a`) or withdraw (`w`) tasks of a running job. */
export function cancelMessage(jobId: string, tasks: number[] | undefined, withdraw: boolean): string {
  return `${jobId} ${tasks ? tasks.join(',') : '*'} ${withdraw ? 'w' : 'a'}`;
}

/** `* <job ids> s`: a node that fetches one of these jobs before its removal lands completes it without running it. */
export function skipMessage(jobIds: string[]): string {
  return `* ${jobIds.join(',')} s`;
}

/** Set when the client first connects; gone means Redis lost its data (restart without persistence, FLUSHALL). */
export function epochKey(queue: string): string {
  return `${PREFIX}:${queue}:epoch`;
}

/** A journaled run's job ids (SET) and incarnation counter, in its module version's queue. */
export function runSetKey(queueName: string, run: string): string {
  return `${PREFIX}:${queueName}:run:${run}`;
}
export function runIncarnationKey(queueName: string, run: string): string {
  return `${PREFIX}:${queueName}:run:${run}:incarnation`;
}

/** 12 hex digits of the SHA-256 of the module file: nodes and clients with the same file share a queue. */
export async function moduleVersion(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 12);
}

/** The URL as it may be shown: never with its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // ioredis also takes the password as a query parameter (`?password=`).
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.href;
  } catch {
    return '(invalid URL)';
  }
}
