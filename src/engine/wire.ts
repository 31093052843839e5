/**
 * A task's wire form (built once: its arguments may need shared-object
 * encoding) and the decoding of a worker's `done` into a chunk outcome.
 */
import type { Outcome, WireTask, WorkerEvent } from '../protocol/messages.js';
import { decodeError } from '../protocol/values.js';
import { numericChunk } from '../protocol/numeric.js';
import { decodeShared, encodeShared } from '../shared/codec.js';
import type { ChunkOutcome, Task } from './task.js';

const NOTHING_SHARED = Object.freeze({ value: undefined, found: false });

/** The task as sent to a worker; marks it exclusive when its arguments hold shared objects. */
export function wireOf(t: Task): WireTask {
  if (!t.wire) {
    // A chunk of numbers holds no shared objects: it skips the walk below.
    const mf = t.items && !t.spread ? numericChunk(t.items) : undefined;
    const enc = mf ? NOTHING_SHARED : encodeShared(t.items ?? t.args ?? []);
    t.wire = mf ? { id: t.id, n: t.name, mf }
      : !t.items ? { id: t.id, n: t.name, a: enc.value as unknown[] }
      : t.spread ? { id: t.id, n: t.name, c: enc.value as unknown[][] }
      : { id: t.id, n: t.name, m: enc.value as unknown[] };
    // The parent needs a `started` event to start a timeout clock or to know an abort hit a running task.
    if (t.timeout !== undefined || t.signal) t.wire.s = 1;
    if (t.itemTimes && t.items) t.wire.pt = 1;
    if (t.itemTimeout && t.timeout !== undefined && t.items && t.items.length > 1) t.wire.pi = 1;
    // h: its arguments hold shared objects, so it may block on other tasks (send.ts: it only starts at once, nothing queued behind it).
    if (enc.found) t.wire.h = 1;
    // A chunk's items are logged as they finish (not with shared objects, whose proxies the log cannot hold).
    else if (t.itemLog && t.items && t.items.length > 1) t.wire.pl = 1;
  }
  return t.wire;
}

/** A `done` event as one outcome shape: a value per item, and the items that threw. */
export function outcomeOf(ev: Extract<WorkerEvent, { t: 'done' }>): ChunkOutcome {
  if (ev.o) {
    const o: Outcome = ev.o;
    if (!o.ok) return { values: [undefined], errors: [[0, decodeError(o.e)]] };
    return { values: [o.h ? decodeShared(o.v) : o.v], errors: undefined };
  }
  const values = ev.vf ?? (ev.h ? (decodeShared(ev.v) as unknown[]) : ev.v!);
  const errors = ev.e?.map(([i, e]): [number, Error] => [i, decodeError(e)]);
  return ev.it ? { values, errors, times: ev.it } : { values, errors };
}

