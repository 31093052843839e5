/**
 * Shared-object traffic (`hub` messages) as JSON, when JSON carries it
 * exactly.
 *
 * Why: a Pipe round trip between the main process and a worker is two hub
 * messages, and `v8.serialize`/`v8.deserialize` build a native
 * (De)Serializer for each: in a profile of 10,000 round trips they were
 * about 25 µs of CPU per round trip on each side. Hub messages are small
 * and mostly plain data (request ids, object ids, operation names, the
 * values a Pipe or Queue carries), which JSON writes and reads faster.
 *
 * Only values JSON brings back exactly as the structured clone would take
 * this path: strings, booleans, null, finite numbers other than -0, and
 * plain arrays and objects of those (no holes, no extra array properties,
 * no proxies), within a size budget. Anything else
 * (undefined, NaN, a Map, a typed array, a Date, a class instance, a cycle)
 * sends the whole message through V8 as before.
 *
 * A worker's start-up messages (`init`, `ready`, `go`) take the same frame
 * when JSON carries them exactly: with them, and a single call's compact
 * `run` and result, a worker starts and runs its first task without loading
 * `node:v8` (see v8.ts).
 *
 * Layout after the frame's length prefix: [0x06][UTF-8 JSON of the message].
 */
import { isProxy } from 'node:util/types';

export const JSON_TAG = 0x06;

/** Values walked at most: past about this many, V8's serializer is as fast. */
const MAX_NODES = 128;
/**
 * Longer arrays (a Queue's batch of puts, a read-ahead of items, a long
 * batch of messages) go to V8 without a walk: they would mostly run out of
 * the budget half-way, and that wasted walk made a Queue of small items
 * slower than V8 alone.
 */
const MAX_ARRAY = 16;
const MAX_DEPTH = 16;
/** String characters at most: V8 copies a long one-byte string in one block, JSON escapes it char by char. */
const MAX_CHARS = 2048;

interface Budget { nodes: number; chars: number; array: number }

/**
 * Start-up messages are one per worker, so a larger budget: an `init` with its
 * `initargs`, a `ready` with the names a task module exports. Past it (or with
 * anything JSON would not bring back exactly) they take the V8 path.
 */
const START_TYPES: ReadonlySet<unknown> = new Set(['init', 'ready', 'go']);
const startBudget = (): Budget => ({ nodes: 4096, chars: 64 * 1024, array: 4096 });

/**
 * The JSON text of a hub message, or undefined when it must take the V8
 * path. Written in one walk that reads each property once, as the V8
 * serializer does (a getter runs once either way).
 */
export function hubJson(message: unknown): string | undefined {
  const m = message as { t?: unknown; m?: unknown } | null;
  if (m === null || typeof m !== 'object' || m.t !== 'hub' || Object.keys(m).length !== 2) return undefined;
  const body = envelope(m.m, { nodes: MAX_NODES, chars: MAX_CHARS, array: MAX_ARRAY });
  return body === undefined ? undefined : `{"t":"hub","m":${body}}`;
}

/**
 * The JSON text of a start-up message (`init`, `ready`, `go`), or undefined.
 * Made by this library as plain objects and read by field name, so a field
 * that is undefined is left out, as in a hub message.
 */
export function startJson(message: unknown): string | undefined {
  const m = message as { t?: unknown } | null;
  if (m === null || typeof m !== 'object' || !START_TYPES.has(m.t) || Object.getPrototypeOf(m) !== Object.prototype) return undefined;
  return fields(m as Record<string, unknown>, 0, startBudget(), true);
}

/**
 * One hub message (`k`, `r`, `o`, `op`, `a`, `v`...), or a batch of them
 * (`{k: 'b', m: [...]}`): made by this library as plain objects and read by
 * field name, so a field that is undefined is left out (it reads back as
 * undefined). What the fields hold must be exact.
 */
function envelope(h: unknown, budget: Budget): string | undefined {
  if (h === null || typeof h !== 'object' || Object.getPrototypeOf(h) !== Object.prototype) return undefined;
  const o = h as Record<string, unknown>;
  const batch = o.k === 'b' && Object.keys(o).length === 2 ? o.m : undefined;
  if (!Array.isArray(batch)) return fields(o, 0, budget, true);
  if (batch.length > budget.array) return undefined;
  const parts: string[] = [];
  for (const one of batch) {
    const s = envelope(one, budget);
    if (s === undefined) return undefined;
    parts.push(s);
  }
  return `{"k":"b","m":[${parts.join(',')}]}`;
}

/** `v` as JSON when JSON.parse gives back what the structured clone would, within the budget; else undefined. */
function json(v: unknown, depth: number, budget: Budget): string | undefined {
  if (--budget.nodes < 0) return undefined;
  switch (typeof v) {
    case 'string': return (budget.chars -= v.length) >= 0 ? JSON.stringify(v) : undefined;
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return Number.isFinite(v) && !Object.is(v, -0) ? String(v) : undefined;
    case 'object': break;
    default: return undefined;
  }
  if (v === null) return 'null';
  if (depth >= MAX_DEPTH || isProxy(v)) return undefined;
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    // A hole or a named property on an array: the structured clone keeps it, JSON does not.
    if (v.length > budget.array || proto !== Array.prototype || Object.keys(v).length !== v.length) return undefined;
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      const s = json(v[i], depth + 1, budget);
      if (s === undefined) return undefined;
      out += (i === 0 ? '' : ',') + s;
    }
    return out + ']';
  }
  if (proto !== Object.prototype && proto !== null) return undefined;
  return fields(v as Record<string, unknown>, depth, budget, false);
}

/** An object's own enumerable properties as JSON; `dropUndefined` only for a message's own fields (see envelope). */
function fields(o: Record<string, unknown>, depth: number, budget: Budget, dropUndefined: boolean): string | undefined {
  let out = '{';
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (dropUndefined && v === undefined) continue;
    const s = json(v, depth + 1, budget);
    if (s === undefined) return undefined;
    out += (out.length === 1 ? '' : ',') + quoted(k) + ':' + s;
  }
  return out + '}';
}

/** Property names recur in every message (`k`, `op`, a Queue item's fields): quote each once. */
const QUOTED_LIMIT = 512;
const quotedKeys = new Map<string, string>();
function quoted(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    if (quotedKeys.size >= QUOTED_LIMIT) quotedKeys.clear();
    quotedKeys.set(k, (q = JSON.stringify(k)));
  }
  return q;
}

/** The whole frame (length prefix included) of a hub or start-up message as JSON, or undefined. */
export function encodeJsonFrame(message: unknown): Buffer | undefined {
  const text = (message as { t?: unknown }).t === 'hub' ? hubJson(message) : startJson(message);
  if (text === undefined) return undefined;
  const n = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(5 + n);
  frame.writeUInt32LE(1 + n, 0);
  frame[4] = JSON_TAG;
  frame.write(text, 5);
  return frame;
}

/** Writes the frame into `out` at 0 and returns its length, or 0 when it has no JSON form or does not fit. */
export function encodeHubJsonInto(message: unknown, out: Buffer): number {
  const text = hubJson(message);
  if (text === undefined) return 0;
  // At most 3 bytes per UTF-16 unit: if that fits, write without measuring first.
  if (5 + 3 * text.length > out.length && 5 + Buffer.byteLength(text) > out.length) return 0;
  const n = out.write(text, 5);
  out.writeUInt32LE(1 + n, 0);
  out[4] = JSON_TAG;
  return 5 + n;
}

/** Reads a JSON payload of `len` bytes at `at` in `b` (its tag byte first). */
export function decodeJsonFrame(b: Buffer, at: number, len: number): unknown {
  return JSON.parse(b.toString('utf8', at + 1, at + len));
}
