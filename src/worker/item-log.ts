/**
 * The worker's side of the item log (protocol/item-log.ts): one entry per
 * finished item of a chunk that asks for it (`WireTask.pl`), written before
 * the next item starts, so that a death in the middle of the chunk blames
 * only the item that was running.
 */
import { ftruncateSync, writeSync } from 'node:fs';
import { ITEM_LOG_BASE, ITEM_LOG_MAX_BYTES, encodeItemEntry, type GrowableMemory } from '../protocol/item-log.js';

/** A log longer than this is cut back when the next chunk begins, so large results do not hold memory for the worker's life. */
const SHRINK_ABOVE_BYTES = 1024 * 1024;
/** Entries up to this size are built in one reused buffer (most results are small). */
const SCRATCH_BYTES = 64 * 1024;

export interface ItemLog {
  /** A new chunk starts: its entries overwrite the last chunk's from the start. */
  begin(id: number): void;
  /**
   * Item `index` finished with `value` (ok) or the encoded error (not ok).
   * False when it could not be logged (a value V8 cannot serialize, a full
   * disk, the chunk past `ITEM_LOG_MAX_BYTES`): the chunk is unlogged from then on.
   */
  append(index: number, ms: number, ok: boolean, value: unknown): boolean;
}

/** The log in file descriptor `fd`, which the parent opened and reads after this worker is gone. */
export function openItemLog(fd: number): ItemLog {
  const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  let id = 0;
  let at = ITEM_LOG_BASE;
  return {
    begin(taskId) {
      id = taskId;
      // The file lives in memory (/dev/shm): give back what a chunk of large results left.
      if (at - ITEM_LOG_BASE > SHRINK_ABOVE_BYTES) {
        try { ftruncateSync(fd, ITEM_LOG_BASE); } catch { /* the next entries overwrite it anyway */ }
      }
      at = ITEM_LOG_BASE;
    },
    append(index, ms, ok, value) {
      try {
        const { bytes, length } = encodeItemEntry(scratch, id, index, ms, ok, value);
        if (at + length - ITEM_LOG_BASE > ITEM_LOG_MAX_BYTES) return false;
        // One positional write per entry; a short write (a full tmpfs) leaves
        // a torn entry, which the reader takes for the end of the log.
        if (writeSync(fd, bytes, 0, length, at) !== length) return false;
        at += length;
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * A thread's log: memory it shares with the parent (a growable
 * SharedArrayBuffer), which outlives the thread however it ends, so an entry
 * costs a copy instead of a system call. Entries start at offset 0.
 */
export function openSharedItemLog(memory: GrowableMemory): ItemLog {
  const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  let view = new Uint8Array(memory);
  let id = 0;
  let at = 0;
  return {
    begin(taskId) {
      id = taskId;
      at = 0;
    },
    append(index, ms, ok, value) {
      try {
        const { bytes, length } = encodeItemEntry(scratch, id, index, ms, ok, value);
        if (at + length > ITEM_LOG_MAX_BYTES || at + length > memory.maxByteLength) return false;
        if (at + length > memory.byteLength) {
          // Doubling, so a chunk of large results grows it a few times, not once per entry.
          memory.grow(Math.min(memory.maxByteLength, Math.max(at + length, 2 * memory.byteLength)));
          view = new Uint8Array(memory);
        }
        view.set(length === bytes.length ? bytes : bytes.subarray(0, length), at);
        at += length;
        return true;
      } catch {
        return false;
      }
    },
  };
}
