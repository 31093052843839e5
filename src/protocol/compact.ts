/**
 * Compact frames for the two events every single call sends: `started`, and
 * the `done` of a call whose value is a primitive.
 *
 * Why: on the process runtime each event is its own frame (a worker writes a
 * result before the next task starts, so a crash never loses it), and
 * `v8.deserialize` builds a native Deserializer object for every frame. In a
 * burst of tiny tasks that was the main process's largest cost after garbage
 * collection, which those native objects add to. These two shapes are read
 * straight from the bytes instead.
 *
 * A V8 payload always starts with 0xFF (its version tag), so a payload that
 * starts with one of the tags below cannot be mistaken for one.
 *
 * Layout after the frame's length prefix, all numbers little-endian doubles:
 *   started: [0x01][id]
 *   done:    [0x02][kind (| 0x80: a chunk of one)][id][ms][nx or NaN]([number] | [UTF-8 bytes])
 * and a `run` command of single calls with primitive arguments: compact-run.ts;
 * a map's chunks of numbers, both ways: compact-f64.ts; shared-object
 * traffic of plain data and a worker's start-up messages, both ways:
 * compact-json.ts.
 */
import type { Command, WorkerEvent } from './messages.js';
import { RUN, decodeCompactRun, encodeCompactRun } from './compact-run.js';
import { DONE_F64, RUN_F64, decodeF64Frame } from './compact-f64.js';
import { JSON_TAG, decodeJsonFrame, encodeHubJsonInto, encodeJsonFrame } from './compact-json.js';

export const V8_TAG = 0xff;
const STARTED = 0x01;
const DONE = 0x02;
/** Value kinds of a compact `done`. */
const UNDEFINED = 0, NULL = 1, TRUE = 2, FALSE = 3, NUMBER = 4, STRING = 5;
const DONE_HEAD = 2 + 3 * 8;
/** Flag on the value kind: the result of a chunk of one item (`v: [value]`), not of a single call (`o`). */
const CHUNK_OF_ONE = 0x80;
/** Longer strings take the V8 path, which copies one-byte strings in one block. */
const MAX_COMPACT_STRING = 1024;

/** Bytes a compact frame can take at most (length prefix included). */
export const MAX_COMPACT_FRAME = 4 + DONE_HEAD + 3 * MAX_COMPACT_STRING;

/**
 * Writes the whole frame (4-byte length prefix included) for a compact event
 * into `out` at 0 and returns its length, or returns 0 when `message` has no
 * compact form. `out` must hold MAX_COMPACT_FRAME bytes: a worker reuses one
 * buffer for every result (its writes are synchronous).
 */
export function encodeCompactInto(message: unknown, out: Buffer): number {
  const m = message as WorkerEvent;
  if (m === null || typeof m !== 'object') return 0;
  if (m.t === 'hub') return encodeHubJsonInto(m, out);
  if (m.t === 'started') {
    out.writeUInt32LE(9, 0);
    out[4] = STARTED;
    out.writeDoubleLE(m.id, 5);
    return 13;
  }
  if (m.t !== 'done') return 0;
  // A single call (`o`), or a healthy chunk of one item (`v: [value]`, as
  // imap sends items one at a time by default).
  let v: unknown;
  let chunk = 0;
  if (m.o) {
    if (!m.o.ok || m.o.h) return 0;
    v = m.o.v;
  } else if (m.v && m.v.length === 1 && !m.e && !m.h && !m.it && !m.vf && 0 in m.v) {
    v = m.v[0];
    chunk = CHUNK_OF_ONE;
  } else {
    return 0;
  }
  let kind: number;
  switch (typeof v) {
    case 'undefined': kind = UNDEFINED; break;
    case 'boolean': kind = v ? TRUE : FALSE; break;
    case 'number': kind = NUMBER; break;
    case 'string':
      if (v.length > MAX_COMPACT_STRING) return 0;
      kind = STRING;
      break;
    default:
      if (v !== null) return 0;
      kind = NULL;
  }
  let at = 4;
  out[at++] = DONE;
  out[at++] = kind | chunk;
  at = out.writeDoubleLE(m.id, at);
  at = out.writeDoubleLE(m.ms, at);
  at = out.writeDoubleLE(m.nx ?? NaN, at);
  if (kind === NUMBER) at = out.writeDoubleLE(v as number, at);
  // At most 3 bytes per UTF-16 unit, so a string of MAX_COMPACT_STRING units always fits.
  else if (kind === STRING) at += out.write(v as string, at, 'utf8');
  out.writeUInt32LE(at - 4, 0);
  return at;
}

let scratch: Buffer | undefined;

/** A compact frame of its own (a `run` command, or an event via encodeCompactInto), or undefined. */
export function encodeCompact(message: unknown): Buffer | undefined {
  if ((message as Command | null)?.t === 'run') return encodeCompactRun(message as Command, 4);
  const t = (message as { t?: unknown } | null)?.t;
  if (t === 'hub' || t === 'init' || t === 'ready' || t === 'go') return encodeJsonFrame(message);
  scratch ??= Buffer.allocUnsafe(MAX_COMPACT_FRAME);
  const n = encodeCompactInto(message, scratch);
  return n === 0 ? undefined : Buffer.from(scratch.subarray(0, n));
}

/**
 * Reads the compact payload of `len` bytes at `at` in `b` (its first byte is
 * not V8_TAG). Throws for an unknown tag or a payload of the wrong size.
 */
export function decodeCompact(b: Buffer, at: number, len: number): WorkerEvent | Command {
  const tag = b[at];
  if (tag === RUN) return decodeCompactRun(b, at, len);
  if (tag === RUN_F64 || tag === DONE_F64) return decodeF64Frame(b, at, len);
  if (tag === JSON_TAG) return decodeJsonFrame(b, at, len) as WorkerEvent | Command;
  if (tag === STARTED && len === 9) return { t: 'started', id: b.readDoubleLE(at + 1) };
  if (tag !== DONE || len < DONE_HEAD) throw new Error(`unknown compact frame (tag ${tag}, ${len} bytes)`);
  const chunk = (b[at + 1]! & CHUNK_OF_ONE) !== 0;
  const kind = b[at + 1]! & ~CHUNK_OF_ONE;
  let v: unknown;
  switch (kind) {
    case UNDEFINED: v = undefined; break;
    case NULL: v = null; break;
    case TRUE: v = true; break;
    case FALSE: v = false; break;
    case NUMBER:
      if (len !== DONE_HEAD + 8) throw new Error('a compact number result of the wrong size');
      v = b.readDoubleLE(at + DONE_HEAD);
      break;
    case STRING: v = b.toString('utf8', at + DONE_HEAD, at + len); break;
    default: throw new Error(`unknown compact value kind ${kind}`);
  }
  if (kind !== STRING && kind !== NUMBER && len !== DONE_HEAD) throw new Error('a compact result of the wrong size');
  const nx = b.readDoubleLE(at + 18);
  const id = b.readDoubleLE(at + 2);
  const ms = b.readDoubleLE(at + 10);
  const ev: WorkerEvent = chunk ? { t: 'done', id, v: [v], ms } : { t: 'done', id, o: { ok: true, v }, ms };
  if (!Number.isNaN(nx)) ev.nx = nx;
  return ev;
}
