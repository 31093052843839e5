/**
 * The compact form of a `run` command whose tasks are all single calls or
 * small chunks (at most 255 items, as imap sends by default) with primitive
 * arguments (numbers, short strings, booleans, null, undefined): the common
 * `apply(name, [x])` and `imap(name, xs)`. Like the compact events (compact.ts), it is
 * written and read without V8's Serializer and Deserializer objects, which
 * cost more than the bytes for a message this small.
 *
 * Layout after the frame's length prefix (numbers little-endian):
 *   [0x03][task count u16] then per task:
 *   [flags u8: 1 = s, 2 = items (m), 4 = pt, 8 = pi, 16 = pl][id f64][attempt f64][name bytes u8][name UTF-8][arg/item count u8]
 *   then per argument: [kind u8] and, for a number, [f64]; for a string, [bytes u32][UTF-8].
 * Anything else (chunks, shared-object handles, keys, transfer lists,
 * objects...) takes the V8 path. A field added to WireTask must be carried
 * here or sent down the V8 path above: this form drops what it does not know.
 */
import type { Command, WireTask } from './messages.js';

export const RUN = 0x03;
/** Task flags: needs `started` (`s`); a chunk's items (`m`) rather than one call's arguments (`a`); per-item times (`pt`); per-item timeout (`pi`); item log (`pl`). */
const S = 1, ITEMS = 2, PT = 4, PI = 8, PL = 16;
const UNDEFINED = 0, NULL = 1, TRUE = 2, FALSE = 3, NUMBER = 4, STRING = 5;
/** Longer strings take the V8 path. */
const MAX_STRING = 1024;
const MAX_TASKS = 0xffff;

/** The whole frame (length prefix included) for a compact run command, or undefined. */
export function encodeCompactRun(cmd: Command, header: number): Buffer | undefined {
  if (cmd.t !== 'run' || cmd.tr !== undefined || cmd.tasks.length > MAX_TASKS) return undefined;
  let size = 3;
  for (const t of cmd.tasks) {
    const list = t.a ?? t.m;
    if (list === undefined || (t.a && t.m) || t.c || t.mf || t.h || t.k !== undefined || t.at === undefined || list.length > 0xff || t.n.length > 0xff) return undefined;
    const name = nameBytes(t.n).length;
    if (name > 0xff) return undefined;
    size += 1 + 16 + 1 + name + 1;
    for (let i = 0; i < list.length; i++) {
      // A hole is not `undefined` on the V8 path: keep it there.
      if (!(i in list)) return undefined;
      const n = valueSize(list[i]);
      if (n < 0) return undefined;
      size += n;
    }
  }
  const b = Buffer.allocUnsafe(header + size);
  b.writeUInt32LE(size, 0);
  let at = header;
  b[at++] = RUN;
  at = b.writeUInt16LE(cmd.tasks.length, at);
  for (const t of cmd.tasks) {
    b[at++] = (t.s ? S : 0) | (t.m ? ITEMS : 0) | (t.pt ? PT : 0) | (t.pi ? PI : 0) | (t.pl ? PL : 0);
    at = b.writeDoubleLE(t.id, at);
    at = b.writeDoubleLE(t.at!, at);
    const name = nameBytes(t.n);
    b[at++] = name.length;
    for (let j = 0; j < name.length; j++) b[at + j] = name[j]!;
    at += name.length;
    const list = (t.a ?? t.m)!;
    b[at++] = list.length;
    for (const v of list) at = writeValue(b, at, v);
  }
  return b;
}

/** Reads a compact run payload of `len` bytes at `at`; throws if it is malformed. */
export function decodeCompactRun(b: Buffer, at: number, len: number): Command {
  const end = at + len;
  const need = (n: number) => { if (at + n > end) throw new Error('a compact run command ends early'); };
  need(3);
  at++;
  const count = b.readUInt16LE(at);
  at += 2;
  const tasks: WireTask[] = new Array(count);
  for (let i = 0; i < count; i++) {
    need(18);
    const flags = b[at++]!;
    const id = b.readDoubleLE(at);
    const attempt = b.readDoubleLE(at + 8);
    at += 16;
    const nameBytes = b[at++]!;
    need(nameBytes + 1);
    const n = readName(b, at, nameBytes);
    at += nameBytes;
    const argc = b[at++]!;
    const a = new Array<unknown>(argc);
    for (let k = 0; k < argc; k++) {
      need(1);
      const kind = b[at++];
      switch (kind) {
        case UNDEFINED: a[k] = undefined; break;
        case NULL: a[k] = null; break;
        case TRUE: a[k] = true; break;
        case FALSE: a[k] = false; break;
        case NUMBER: need(8); a[k] = b.readDoubleLE(at); at += 8; break;
        case STRING: {
          need(4);
          const bytes = b.readUInt32LE(at);
          at += 4;
          need(bytes);
          a[k] = b.toString('utf8', at, at + bytes);
          at += bytes;
          break;
        }
        default: throw new Error(`unknown compact argument kind ${kind}`);
      }
    }
    const task: WireTask = flags & ITEMS ? { id, n, m: a, at: attempt } : { id, n, a, at: attempt };
    if (flags & S) task.s = 1;
    if (flags & PT) task.pt = 1;
    if (flags & PI) task.pi = 1;
    if (flags & PL) task.pl = 1;
    tasks[i] = task;
  }
  if (at !== end) throw new Error('a compact run command has trailing bytes');
  return { t: 'run', tasks };
}

/**
 * The last task name and its UTF-8 bytes, on each side: a burst of calls
 * names the same function thousands of times, and encoding or decoding it
 * per task was a good part of this form's cost.
 */
let sentName = '';
let sentNameBytes = Buffer.alloc(0);
let readNameBytes = Buffer.alloc(0);
let readNameString = '';

function nameBytes(name: string): Buffer {
  if (name !== sentName) {
    sentNameBytes = Buffer.from(name, 'utf8');
    sentName = name;
  }
  return sentNameBytes;
}

function readName(b: Buffer, at: number, len: number): string {
  if (len === readNameBytes.length) {
    let same = true;
    for (let j = 0; j < len; j++) if (b[at + j] !== readNameBytes[j]) { same = false; break; }
    if (same) return readNameString;
  }
  readNameString = b.toString('utf8', at, at + len);
  // A copy: `b` may be a read buffer that is about to be overwritten.
  readNameBytes = Buffer.from(b.subarray(at, at + len));
  return readNameString;
}

function valueSize(v: unknown): number {
  switch (typeof v) {
    case 'undefined': case 'boolean': return 1;
    case 'number': return 9;
    case 'string': return v.length > MAX_STRING ? -1 : 5 + Buffer.byteLength(v, 'utf8');
    default: return v === null ? 1 : -1;
  }
}

function writeValue(b: Buffer, at: number, v: unknown): number {
  switch (typeof v) {
    case 'undefined': b[at] = UNDEFINED; return at + 1;
    case 'boolean': b[at] = v ? TRUE : FALSE; return at + 1;
    case 'number': b[at] = NUMBER; return b.writeDoubleLE(v, at + 1);
    case 'string': {
      b[at] = STRING;
      const n = b.write(v, at + 5, 'utf8');
      b.writeUInt32LE(n, at + 1);
      return at + 5 + n;
    }
    default: b[at] = NULL; return at + 1;
  }
}
