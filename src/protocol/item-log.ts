/**
 * The item log: each finished item of a chunk, recorded by the worker before
 * the next item starts, where the parent reads it only when the worker died
 * or was killed in the middle of the chunk: a process writes it into the
 * running-task record's file, past its first page; a thread copies it into
 * shared memory (`itemLogMemory`). Then the items already finished keep
 * their outcomes, the one running alone is blamed, and the rest, which never
 * started, run elsewhere: a crash in a chunk costs exactly what it would
 * cost one item at a time.
 *
 * A positional write lands in the page cache before the system call returns,
 * and shared memory outlives a thread, so an entry survives the writer being
 * SIGKILLed, segfaulting or running out of heap right after. Entries follow
 * each other from `ITEM_LOG_BASE` in a file, from 0 in shared memory:
 *
 *   [id u32][index u32][body length u32][kind u32][ms f64][body][id u32][index u32]
 *
 * Each begins and ends with the chunk's task id and the item's index, so a
 * torn entry (a write cut short by a fatal signal) or bytes left over from an
 * earlier, longer chunk in the same log read as the end of the log. Task ids
 * are unique within a pool, and a retried task always runs on another worker.
 */
import { deserialize, serialize } from './v8.js';
import { DataCloneError } from '../errors.js';
import { decodeError, type EncodedError } from './values.js';

/** Where entries start in the file: the running-task record owns the first page. */
export const ITEM_LOG_BASE = 4096;
/**
 * Where the running-task record keeps, as a float64, the id of the task whose
 * code ended the worker (process.exit, an uncaught error), when the worker
 * runs several at once and so can tell (worker/concurrent.ts). After the record's
 * 24 bytes (id, attempt, item start); a thread's shared record holds it as
 * its fourth float64.
 */
export const CULPRIT_BYTE = 24;
/**
 * Bytes of entries one chunk may write. Past it the worker stops logging that
 * chunk and says so (`unlogged`): a death then fails the chunk whole, as if
 * no log existed. Chunks are sized by run time, so only very large results
 * come near it.
 */
export const ITEM_LOG_MAX_BYTES = 32 * 1024 * 1024;
export const ITEM_LOG_HEADER = 24;
export const ITEM_LOG_TRAILER = 8;

/**
 * Body kinds. `v8.serialize` from JavaScript costs 4–6 µs for a small object
 * (it builds a Serializer each call), which would double the cost of a cheap
 * item, so the common shapes skip it: numbers as a double, strings as UTF-8,
 * and values JSON round-trips exactly (`jsonExact`) as JSON text. Anything
 * else (Dates, Maps, typed arrays, undefined inside...) takes V8's format.
 */
const KIND_V8 = 0, KIND_NUMBER = 1, KIND_STRING = 2, KIND_JSON = 3, KIND_UNDEFINED = 4;
/** Or'ed into the kind: the body is an EncodedError. */
const KIND_ERROR = 16;
/** Nodes `jsonExact` looks at before it gives up and lets V8 serialize the value. */
const JSON_WALK_LIMIT = 1000;

/** A growable SharedArrayBuffer (ES2024: Node 20 has it; this TypeScript's lib does not describe it). */
export interface GrowableMemory extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(length: number): void;
}

/** A thread's item log: shared memory of `initial` bytes that may grow to `ITEM_LOG_MAX_BYTES`. */
export function itemLogMemory(initial: number): GrowableMemory {
  const Growable = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => GrowableMemory;
  return new Growable(initial, { maxByteLength: ITEM_LOG_MAX_BYTES });
}

/** One finished item as the parent reads it back. */
export type LoggedItem = { ms: number; ok: true; value: unknown } | { ms: number; ok: false; error: Error };

/**
 * The entry for item `index` of chunk `id`, in `scratch` when it fits (else in
 * a new buffer): the bytes to write and their length. Throws when the value
 * cannot be serialized. `value` is the result (ok) or its EncodedError.
 */
export function encodeItemEntry(scratch: Buffer, id: number, index: number, ms: number, ok: boolean, value: unknown): { bytes: Buffer; length: number } {
  let kind: number;
  let text: string | undefined;
  let body: Buffer | undefined;
  if (typeof value === 'number') kind = KIND_NUMBER;
  else if (value === undefined) kind = KIND_UNDEFINED;
  else if (typeof value === 'string') { kind = KIND_STRING; text = value; }
  else if (jsonExact(value, { left: JSON_WALK_LIMIT })) { kind = KIND_JSON; text = JSON.stringify(value); }
  else { kind = KIND_V8; body = serialize(value); }
  if (!ok) kind |= KIND_ERROR;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a text that surely fits is written straight into the scratch.
  if (text !== undefined && ITEM_LOG_HEADER + text.length * 3 + ITEM_LOG_TRAILER > scratch.length) body = Buffer.from(text, 'utf8');
  const bodyLength = body ? body.length : (kind & ~KIND_ERROR) === KIND_NUMBER ? 8 : text !== undefined ? scratch.write(text, ITEM_LOG_HEADER, 'utf8') : 0;
  const length = ITEM_LOG_HEADER + bodyLength + ITEM_LOG_TRAILER;
  const bytes = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  bytes.writeUInt32LE(id >>> 0, 0);
  bytes.writeUInt32LE(index, 4);
  bytes.writeUInt32LE(bodyLength, 8);
  bytes.writeUInt32LE(kind, 12);
  bytes.writeDoubleLE(ms, 16);
  if (body) body.copy(bytes, ITEM_LOG_HEADER);
  else if ((kind & ~KIND_ERROR) === KIND_NUMBER) bytes.writeDoubleLE(value as number, ITEM_LOG_HEADER);
  bytes.writeUInt32LE(id >>> 0, ITEM_LOG_HEADER + bodyLength);
  bytes.writeUInt32LE(index, ITEM_LOG_HEADER + bodyLength + 4);
  return { bytes, length };
}

/**
 * True when JSON gives back exactly this value: plain objects and arrays of
 * strings, finite numbers other than -0, booleans and null, with no
 * undefined, no holes, no symbol keys and no toJSON; within `budget` nodes.
 */
function jsonExact(v: unknown, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i], budget)) return false;
    return Object.keys(v).length === v.length;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.getOwnPropertySymbols(v).length > 0) return false;
  if ('toJSON' in v || Object.hasOwn(v, '__proto__')) return false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    if (!jsonExact((v as Record<string, unknown>)[k], budget)) return false;
  }
  return true;
}

/**
 * The chunk the log was last begun for (its first entry's task id), and its
 * finished items in order from item 0, read from `log` (the file's bytes
 * from `ITEM_LOG_BASE`). Stops at the first entry that is not the next one
 * of that chunk: torn, stale, or not there. The log may belong to a chunk
 * that ended long ago (a newer one may have died before finishing its first
 * item): the caller matches the id with the chunk it is judging.
 * `between`: what an item's value crossed, for its DataCloneError's message.
 */
export function decodeItemLog(log: Buffer, between: 'processes' | 'threads' = 'processes'): { id: number; items: LoggedItem[] } | undefined {
  if (log.length < ITEM_LOG_HEADER) return undefined;
  const items: LoggedItem[] = [];
  const want = log.readUInt32LE(0);
  // Task ids start at 1: zeros are a log never written.
  if (want === 0) return undefined;
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
      const value = decodeBody(kind & ~KIND_ERROR, body);
      if (kind & KIND_ERROR) items.push({ ms, ok: false, error: decodeError(value as EncodedError) });
      else items.push({ ms, ok: true, value });
    } catch (err) {
      // Written whole, so the item finished, but its value cannot be read here
      // (nested too deep...): it fails alone, as it would in a `done` frame.
      items.push({ ms, ok: false, error: new DataCloneError(`the result of item ${index}`, err, between) });
    }
    at = end + ITEM_LOG_TRAILER;
  }
  return items.length > 0 ? { id: want, items } : undefined;
}

function decodeBody(kind: number, body: Buffer): unknown {
  switch (kind) {
    case KIND_NUMBER: return body.readDoubleLE(0);
    case KIND_STRING: return body.toString('utf8');
    case KIND_JSON: return JSON.parse(body.toString('utf8'));
    case KIND_UNDEFINED: return undefined;
    case KIND_V8: return deserialize(body);
    default: throw new Error(`unknown item log kind ${kind}`);
  }
}
