/**
 * The item log: each finished item of a chunk, written by the worker into a
 * file the parent opened (processes: the running-task record's file, past
 * its first page; threads: a file of their own) before the next item starts.
 * The parent reads it only when the worker died or was killed in the middle
 * of the chunk. Then the items already finished keep their outcomes, the one
 * running alone is blamed, and the rest, which never started, run elsewhere:
 * a crash in a chunk costs exactly what it would cost one item at a time.
 *
 * A positional write lands in the page cache before the system call returns,
 * so an entry survives the writer being SIGKILLed, segfaulting or running out
 * of heap right after. Entries follow each other from `ITEM_LOG_BASE`:
 *
 *   [id u32][index u32][body length u32][kind u32][ms f64][body][id u32][index u32]
 *
 * Each begins and ends with the chunk's task id and the item's index, so a
 * torn entry (a write cut short by a fatal signal) or bytes left over from an
 * earlier, longer chunk in the same file read as the end of the log. Task ids
 * are unique within a pool, and a retried task always runs on another worker.
 */
import { deserialize, serialize } from 'node:v8';
import { decodeError, type EncodedError } from './values.js';

/** Where entries start in the file: the running-task record owns the first page. */
export const ITEM_LOG_BASE = 4096;
/**
 * Bytes of entries one chunk may write. Past it the worker stops logging that
 * chunk and says so (`unlogged`): a death then fails the chunk whole, as if
 * no log existed. Chunks are sized by run time, so only very large results
 * come near it.
 */
export const ITEM_LOG_MAX_BYTES = 32 * 1024 * 1024;
export const ITEM_LOG_HEADER = 24;
export const ITEM_LOG_TRAILER = 8;

const KIND_VALUE = 0, KIND_NUMBER = 1, KIND_ERROR = 2;

/** One finished item as the parent reads it back. */
export type LoggedItem = { ms: number; ok: true; value: unknown } | { ms: number; ok: false; error: Error };

/**
 * The entry for item `index` of chunk `id`, in `scratch` when it fits (else in
 * a new buffer): the bytes to write and their length. Throws when the value
 * cannot be serialized.
 */
export function encodeItemEntry(scratch: Buffer, id: number, index: number, ms: number, ok: boolean, value: unknown): { bytes: Buffer; length: number } {
  let kind: number;
  let body: Buffer | undefined;
  if (!ok) {
    kind = KIND_ERROR;
    body = serialize(value as EncodedError);
  } else if (typeof value === 'number') {
    kind = KIND_NUMBER;
  } else {
    kind = KIND_VALUE;
    body = serialize(value);
  }
  const bodyLength = body ? body.length : 8;
  const length = ITEM_LOG_HEADER + bodyLength + ITEM_LOG_TRAILER;
  const bytes = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  bytes.writeUInt32LE(id >>> 0, 0);
  bytes.writeUInt32LE(index, 4);
  bytes.writeUInt32LE(bodyLength, 8);
  bytes.writeUInt32LE(kind, 12);
  bytes.writeDoubleLE(ms, 16);
  if (body) body.copy(bytes, ITEM_LOG_HEADER);
  else bytes.writeDoubleLE(value as number, ITEM_LOG_HEADER);
  bytes.writeUInt32LE(id >>> 0, ITEM_LOG_HEADER + bodyLength);
  bytes.writeUInt32LE(index, ITEM_LOG_HEADER + bodyLength + 4);
  return { bytes, length };
}

/**
 * The chunk the log was last begun for (its first entry's task id), and its
 * finished items in order from item 0, read from `log` (the file's bytes
 * from `ITEM_LOG_BASE`). Stops at the first entry that is not the next one
 * of that chunk: torn, stale, or not there. The log may belong to a chunk
 * that ended long ago (a newer one may have died before finishing its first
 * item): the caller matches the id with the chunk it is judging.
 */
export function decodeItemLog(log: Buffer): { id: number; items: LoggedItem[] } | undefined {
  if (log.length < ITEM_LOG_HEADER) return undefined;
  const items: LoggedItem[] = [];
  const want = log.readUInt32LE(0);
  for (let at = 0; at + ITEM_LOG_HEADER <= log.length;) {
    const index = items.length;
    if (log.readUInt32LE(at) !== want || log.readUInt32LE(at + 4) !== index) break;
    const bodyLength = log.readUInt32LE(at + 8);
    const kind = log.readUInt32LE(at + 12);
    const end = at + ITEM_LOG_HEADER + bodyLength;
    if (end + ITEM_LOG_TRAILER > log.length || log.readUInt32LE(end) !== want || log.readUInt32LE(end + 4) !== index) break;
    const ms = log.readDoubleLE(at + 16);
    const body = log.subarray(at + ITEM_LOG_HEADER, end);
    try {
      if (kind === KIND_NUMBER) items.push({ ms, ok: true, value: body.readDoubleLE(0) });
      else if (kind === KIND_VALUE) items.push({ ms, ok: true, value: deserialize(body) });
      else if (kind === KIND_ERROR) items.push({ ms, ok: false, error: decodeError(deserialize(body) as EncodedError) });
      else break;
    } catch {
      // Written whole but unreadable here: the log ends before it (that item is blamed as running).
      break;
    }
    at = end + ITEM_LOG_TRAILER;
  }
  return items.length > 0 ? { id: want, items } : undefined;
}
