/**
 * Compact frames for the chunks of numbers a `map` sends both ways: a `run`
 * command of one task whose items are a Float64Array (`WireTask.mf`), and the
 * `done` that answers it with one (`vf`).
 *
 * Why: on the V8 path the serializer copies the array's bytes into its own
 * buffer, which it grows by reallocating as it goes (several copies of a
 * megabyte-sized chunk), and that was the main process's largest cost in a
 * 1M-item map after copying the results. Here the frame is a short head and
 * the array's own bytes, written as two iovecs (no copy on the way out); the
 * reader copies the bytes once into a fresh Float64Array (the frame may sit
 * at any offset of a read buffer that is reused for what follows).
 *
 * Layout after the frame's length prefix (numbers little-endian):
 *   run:  [0x04][flags u8: 1 = s, 4 = pt, 8 = pi, 16 = pl][id f64][attempt f64][name bytes u8][name UTF-8][f64 × n]
 *   done: [0x05][0][id f64][ms f64][nx f64 or NaN][f64 × n]
 * `n` is what the frame's length leaves. A task or event with any other field
 * takes the V8 path: this form carries exactly the fields it names.
 */
import type { Command, WireTask, WorkerEvent } from './messages.js';

export const RUN_F64 = 0x04;
export const DONE_F64 = 0x05;
const S = 1, PT = 4, PI = 8, PL = 16;
const RUN_FIELDS = new Set(['id', 'n', 'mf', 'at', 's', 'pt', 'pi']);
const DONE_FIELDS = new Set(['t', 'id', 'vf', 'ms', 'nx']);
const DONE_HEAD = 2 + 3 * 8;

/** The frame's buffers (length prefix included) for a numeric chunk's `run` or `done`, or undefined. */
export function encodeF64Frame(message: unknown): Buffer[] | undefined {
  const m = message as Command | WorkerEvent;
  if (m === null || typeof m !== 'object') return undefined;
  if (m.t === 'run') return m.tasks.length === 1 && m.tr === undefined ? encodeRun(m.tasks[0]!) : undefined;
  if (m.t === 'done' && m.vf !== undefined && only(m, DONE_FIELDS)) return encodeDone(m);
  return undefined;
}

function encodeRun(t: WireTask): Buffer[] | undefined {
  if (t.mf === undefined || t.at === undefined || !only(t, RUN_FIELDS)) return undefined;
  const name = Buffer.byteLength(t.n, 'utf8');
  if (name > 0xff) return undefined;
  const headLen = 1 + 1 + 16 + 1 + name;
  const head = Buffer.allocUnsafe(4 + headLen);
  head.writeUInt32LE(headLen + t.mf.byteLength, 0);
  head[4] = RUN_F64;
  head[5] = (t.s ? S : 0) | (t.pt ? PT : 0) | (t.pi ? PI : 0) | (t.pl ? PL : 0);
  head.writeDoubleLE(t.id, 6);
  head.writeDoubleLE(t.at, 14);
  head[22] = name;
  head.write(t.n, 23, 'utf8');
  return [head, bytesOf(t.mf)];
}

function encodeDone(m: Extract<WorkerEvent, { t: 'done' }>): Buffer[] {
  const vf = m.vf!;
  const head = Buffer.allocUnsafe(4 + DONE_HEAD);
  head.writeUInt32LE(DONE_HEAD + vf.byteLength, 0);
  head[4] = DONE_F64;
  head[5] = 0;
  head.writeDoubleLE(m.id, 6);
  head.writeDoubleLE(m.ms, 14);
  head.writeDoubleLE(m.nx ?? NaN, 22);
  return [head, bytesOf(vf)];
}

/** Reads a numeric chunk's `run` or `done` payload of `len` bytes at `at`; throws if it is malformed. */
export function decodeF64Frame(b: Buffer, at: number, len: number): Command | WorkerEvent {
  if (b[at] === DONE_F64) {
    if (len < DONE_HEAD || (len - DONE_HEAD) % 8 !== 0) throw new Error(`a numeric result of ${len} bytes`);
    const ev: WorkerEvent = { t: 'done', id: b.readDoubleLE(at + 2), vf: copyF64(b, at + DONE_HEAD, at + len), ms: b.readDoubleLE(at + 10) };
    const nx = b.readDoubleLE(at + 18);
    if (!Number.isNaN(nx)) ev.nx = nx;
    return ev;
  }
  if (len < 19) throw new Error(`a numeric chunk of ${len} bytes`);
  const flags = b[at + 1]!;
  const id = b.readDoubleLE(at + 2);
  const attempt = b.readDoubleLE(at + 10);
  const name = b[at + 18]!;
  const start = at + 19 + name;
  if (start > at + len || (at + len - start) % 8 !== 0) throw new Error(`a numeric chunk of ${len} bytes`);
  const task: WireTask = { id, n: b.toString('utf8', at + 19, start), mf: copyF64(b, start, at + len), at: attempt };
  if (flags & S) task.s = 1;
  if (flags & PT) task.pt = 1;
  if (flags & PI) task.pi = 1;
  if (flags & PL) task.pl = 1;
  return { t: 'run', tasks: [task] };
}

/** The message has no field outside `known` (an absent field may be present as undefined). */
function only(m: object, known: ReadonlySet<string>): boolean {
  for (const k in m) if (!known.has(k) && (m as Record<string, unknown>)[k] !== undefined) return false;
  return true;
}

function bytesOf(f: Float64Array): Buffer {
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

function copyF64(b: Buffer, from: number, to: number): Float64Array {
  const out = new Float64Array((to - from) / 8);
  b.copy(Buffer.from(out.buffer), 0, from, to);
  return out;
}
