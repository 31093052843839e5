/**
 * The main side of the take logs (see `objects/take-log.ts`): each worker's
 * counters of items taken from Queues, and the slot each Queue uses in them.
 * Read only when the exact number matters (the worker died, `qsize()`, a
 * JoinableQueue's `taskDone()`), never polled.
 */
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { TAKE_LOG_SLOTS } from '../messages.js';

/** Where workers create their take logs (objects/take-log.ts). */
const LOG_DIRS = ['/dev/shm', tmpdir()];

interface Log {
  read(slot: number): number;
  close(): void;
  readonly slots: Map<number, number>;
}

const logs = new Map<string, Log>();

/** Worker `key` announced its take log. A malformed announcement is ignored (the worker then has no lease). */
export function registerTakeLog(key: string, m: { b?: unknown; p?: unknown; pid?: unknown; fd?: unknown }): void {
  if (logs.has(key)) return;
  if (m.b instanceof SharedArrayBuffer && m.b.byteLength >= TAKE_LOG_SLOTS * 8) {
    const counters = new BigInt64Array(m.b);
    logs.set(key, { read: (slot) => Number(Atomics.load(counters, slot)), close() {}, slots: new Map() });
    return;
  }
  const fd = typeof m.p === 'string' ? openNamed(m.p) : openUnlinked(m.pid, m.fd);
  if (fd === undefined) return;
  const cell = Buffer.alloc(8);
  logs.set(key, {
    read(slot) {
      // Past the end of the file: nothing was ever recorded there.
      return readSync(fd, cell, 0, 8, slot * 8) === 8 ? cell.readDoubleLE(0) : 0;
    },
    close() { try { closeSync(fd); } catch { /* already closed */ } },
    slots: new Map(),
  });
}

/** A take log the worker named (no /proc): only a file it can have created as one; this process unlinks it. */
function openNamed(path: string): number | undefined {
  if (!/^forkpool-takes-[\w-]+$/.test(basename(path)) || !LOG_DIRS.includes(dirname(path))) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  // Nothing else needs the name: unlinked now, the file is freed when both descriptors are closed.
  try { unlinkSync(path); } catch { /* already gone */ }
  return fd;
}

/**
 * A take log the worker already unlinked, opened through its descriptor
 * (objects/take-log.ts, `announce`, says why). Failing to open it (the
 * worker died meanwhile) leaves the worker without a log, which is safe:
 * nothing is lent to a worker without one. Only an unlinked regular file no
 * bigger than a log is taken, so a wrong pid or descriptor reads nothing else.
 */
function openUnlinked(pid: unknown, wfd: unknown): number | undefined {
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || !Number.isSafeInteger(wfd) || (wfd as number) < 0) return undefined;
  let fd: number;
  try {
    fd = openSync(`/proc/${pid as number}/fd/${wfd as number}`, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.nlink === 0 && st.size <= TAKE_LOG_SLOTS * 8) return fd;
  } catch { /* fall through */ }
  closeSync(fd);
  return undefined;
}

/** The slot of object `o` in worker `key`'s log, assigned on first use; undefined without a log or a free slot. */
export function slotFor(key: string, o: number): number | undefined {
  const log = logs.get(key);
  if (!log) return undefined;
  let slot = log.slots.get(o);
  if (slot === undefined) {
    // Never reused: a reused slot would still hold the old Queue's count.
    if (log.slots.size >= TAKE_LOG_SLOTS) return undefined;
    slot = log.slots.size;
    log.slots.set(o, slot);
  }
  return slot;
}

/** How many items worker `key` recorded taking through `slot` (0 if it has no log). */
export function readTakes(key: string, slot: number): number {
  try {
    return logs.get(key)?.read(slot) ?? 0;
  } catch {
    return 0;
  }
}

/** Worker `key` is gone and every object has read what it needed. */
export function dropTakeLog(key: string): void {
  logs.get(key)?.close();
  logs.delete(key);
}
