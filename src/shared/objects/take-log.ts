/**
 * The worker side of a take log: how a worker records, without waking the
 * main process, how many items it has taken from each Queue it reads ahead of.
 *
 * A Queue may hand a fast consumer several items at once (a lease: see
 * `state/queue-leases.ts`). Items of a lease stay the queue's until user code
 * takes them, and if the worker dies, those it never took must go back. So
 * every take is recorded before user code can see the item, in memory the
 * main process can still read after the worker is gone:
 *
 *   thread runtime:  a SharedArrayBuffer, one BigInt64 counter per slot
 *   process runtime: a small unlinked file in /dev/shm (or the temp
 *                    directory), one 8-byte counter per slot, written with
 *                    pwrite (see `announce` for how it never leaks). The write
 *                    is in the page cache once `writeSync` returns, so it
 *                    survives a SIGKILL a microsecond later; it wakes nobody,
 *                    unlike a message per item, which cost a wake-up of the
 *                    main process each.
 *
 * The hub assigns the slots (one per Queue this worker reads) and reads a
 * counter only when it needs the exact number: when the worker died, for
 * `qsize()`, and for a JoinableQueue's `taskDone()` (which item it settles). A worker that cannot create a log falls back to one
 * acknowledgement message per item.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { postRaw } from './worker-link.js';
import { TAKE_LOG_SLOTS } from '../messages.js';

export interface TakeLog {
  /** Records that `count` items in all were taken from the Queue of `slot`. */
  record(slot: number, count: number): void;
}

let log: TakeLog | null | undefined;

/** This worker's take log, created (and announced to the hub, in order with the calls of this turn) on first use; null if it cannot be. */
export function takeLog(): TakeLog | null {
  if (log === undefined) {
    try {
      log = isMainThread ? fileLog() : sharedLog();
    } catch {
      log = null;
    }
  }
  return log;
}

function sharedLog(): TakeLog {
  const b = new SharedArrayBuffer(TAKE_LOG_SLOTS * 8);
  const counters = new BigInt64Array(b);
  postRaw({ k: 'tl', b });
  return { record(slot, count) { Atomics.store(counters, slot, BigInt(count)); } };
}

function fileLog(): TakeLog {
  // Memory-backed where there is one: the file is never meant to reach a disk.
  const dir = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const path = join(dir, `forkpool-takes-${process.pid}-${randomUUID()}`);
  const fd = openSync(path, 'wx+', 0o600);
  const cell = Buffer.alloc(8);
  try {
    postRaw(announce(path, fd));
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(path); } catch { /* already gone */ }
    throw err;
  }
  // This process writes through its own descriptor; the hub reads through its own.
  return {
    record(slot, count) {
      cell.writeDoubleLE(count, 0);
      writeSync(fd, cell, 0, 8, slot * 8);
    },
  };
}

/**
 * How the hub finds the file. Where /proc exists (Linux), the worker unlinks
 * the file before telling anyone, and the hub opens it as /proc/<pid>/fd/<fd>:
 * a name that exists only while this process does. The file then never
 * outlives both processes, whatever order they die in. Before, the hub
 * unlinked it on reading the announcement, and a main process that exited
 * within ~20 ms of a worker's first get left the file in /dev/shm for good.
 * (Unlinking once the hub confirms would leak the same way if the main
 * process died first; only a SIGKILL in the microseconds between openSync
 * and unlinkSync can leak now.) If this worker dies before the hub opens the
 * file, the hub has no log for it, and a worker without a log is never lent
 * items: nothing can be lost with it.
 *
 * Without /proc, the hub opens the path and unlinks it, as before.
 */
function announce(path: string, fd: number): { k: 'tl'; p: string } | { k: 'tl'; pid: number; fd: number } {
  if (!existsSync(`/proc/${process.pid}/fd/${fd}`)) return { k: 'tl', p: path };
  unlinkSync(path);
  return { k: 'tl', pid: process.pid, fd };
}
