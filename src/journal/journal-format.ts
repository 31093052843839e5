/**
 * The journal's line formats: one header line, then one record per finished
 * item, each a JSON object on a line of its own (JSON Lines).
 *
 *   {"forkpool":"journal","version":2,"task":"parse","keying":"default","input":{...},"created":"..."}
 *   {"k":"0:3f2a...","i":0,"h":"3f2a...","ok":true,"v":{"title":"Home"},"ms":12.5,"w":1}
 *   {"k":"1:9c1b...","i":1,"h":"9c1b...","ok":true,"x":"/w9CAmhp","ms":3,"w":2}
 *   {"k":"2:77e0...","i":2,"h":"77e0...","ok":false,"e":{"name":"TypeError","message":"..."},"ms":3,"w":2}
 *
 * Everything read from disk is checked here before it is used, so damage
 * surfaces as a journal error with its line number, never as a TypeError
 * deep in the run.
 */
import { decodeError } from '../protocol/values.js';
import { CodecError, decodeStoredError, decodeValue, encodeStoredError, encodeValue } from './value-codec.js';
import { JournalCorruptError, JournalMismatchError } from './errors.js';

/**
 * 2: results JSON cannot carry unchanged are stored as V8 serialization (`x`, `ex`).
 * 1: they were `{"$fp": ...}` trees in `v`; still read, and resumed (new records are written the version-2 way).
 */
export const JOURNAL_VERSION = 2;
const OLDEST_READABLE_VERSION = 1;

export interface JournalHeader {
  forkpool: 'journal';
  version: number;
  task: string;
  /** `default`: keys are `<index>:<hash>`; `custom`: keys come from the caller's `key` function. */
  keying: 'default' | 'custom';
  /** What identifies the whole input when known up front (file digest, array digest), else null. */
  input: Record<string, unknown> | null;
  /** A random id of the run, kept on resume (a distributed engine names the run's jobs with it); absent in older journals. */
  run?: string;
  created: string;
}

/** One record as stored: the value in `v` (plain JSON) or `x` (V8, base64); the error in `e` (and `ex`). */
export interface StoredRecord {
  k: string;
  i: number;
  h: string;
  ok: boolean;
  v?: unknown;
  x?: string;
  e?: Record<string, unknown>;
  ex?: string;
  ms: number;
  w: number;
}

/** An item's outcome as `journaled` yields it, without the parts that come from the input. */
export type RecordedOutcome =
  | { ok: true; value: unknown; ms: number; workerId: number }
  | { ok: false; error: Error; ms: number; workerId: number };

/** Parses a line to a JSON object, or undefined when it is not one. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a parsed first line claims to be a journal header (own key only: `{"__proto__": ...}` proves nothing). */
export function claimsToBeJournal(parsed: Record<string, unknown> | undefined): boolean {
  return parsed !== undefined && Object.hasOwn(parsed, 'forkpool') && parsed.forkpool === 'journal';
}

/**
 * The header of a journal to resume, checked: a newer or older format is a
 * mismatch (the user picks another file or starts over), an ill-typed field
 * is damage at line 1.
 */
export function checkHeader(path: string, h: Record<string, unknown>): JournalHeader {
  const version = h.version;
  const damaged = (why: string): never => { throw new JournalCorruptError(path, 1, why); };
  if (typeof version !== 'number' || !Number.isInteger(version)) damaged('the header has no version number');
  if ((version as number) > JOURNAL_VERSION || (version as number) < OLDEST_READABLE_VERSION) {
    throw new JournalMismatchError(path, `it has journal format version ${String(version)}, this forkpool reads versions ${OLDEST_READABLE_VERSION} to ${JOURNAL_VERSION}`);
  }
  if (typeof h.task !== 'string') damaged('the header has no task name');
  if (h.keying !== 'default' && h.keying !== 'custom') damaged('the header has no valid "keying"');
  if (h.input !== null && (typeof h.input !== 'object' || Array.isArray(h.input))) damaged('the header\'s "input" is not an object or null');
  return h as unknown as JournalHeader;
}

/** Why a parsed line is not a journal record, or undefined when it is one. Checks types only; values are decoded when read. */
export function recordProblem(r: Record<string, unknown>): string | undefined {
  const has = (k: string): boolean => Object.hasOwn(r, k);
  if (typeof r.k !== 'string' || typeof r.h !== 'string' || typeof r.ok !== 'boolean') {
    return 'the line is not a journal record (it needs "k", "h" and "ok")';
  }
  if (typeof r.i !== 'number' || !Number.isSafeInteger(r.i) || r.i < 0) return 'the record\'s index "i" is not a non-negative integer';
  if (typeof r.ms !== 'number' || !Number.isFinite(r.ms) || typeof r.w !== 'number') return 'the record\'s "ms" or "w" is not a number';
  if (r.ok) {
    if (has('x') ? typeof r.x !== 'string' : !has('v')) return 'the success record holds no value ("v" or "x")';
  } else {
    const e = r.e;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'the failure record holds no error ("e")';
    if (has('ex') && typeof r.ex !== 'string') return 'the failure record\'s "ex" is not a string';
  }
  return undefined;
}

/**
 * The record for one finished item, or undefined when its result cannot be
 * stored (a function or symbol, which V8 cannot serialize): such an item is
 * yielded but not recorded, and runs again on resume.
 */
export function encodeRecord(
  id: { key: string; index: number; hash: string },
  s: RecordedOutcome,
): StoredRecord | undefined {
  // Object.assign onto a fresh literal, not `{ ...base, ...value }`: in Node 20's V8 a
  // spread followed by more properties takes a slow path (about 2 µs, once per item).
  const base = { k: id.key, i: id.index, h: id.hash, ok: s.ok, ms: Math.round(s.ms * 1000) / 1000, w: s.workerId };
  if (!s.ok) return Object.assign(base, encodeStoredError(s.error));
  const value = encodeValue(s.value);
  return value && Object.assign(base, value);
}

/** The outcome a record holds. `legacy`: the journal is version 1. Throws CodecError when the stored value is damaged. */
export function decodeRecord(rec: StoredRecord, legacy: boolean): RecordedOutcome {
  if (rec.ok) return { ok: true, value: decodeValue(rec, legacy), ms: rec.ms, workerId: rec.w };
  const enc = decodeStoredError(rec, legacy);
  try {
    return { ok: false, error: decodeError(enc, 'worker (from the journal)'), ms: rec.ms, workerId: rec.w };
  } catch (err) {
    throw new CodecError(`the recorded error cannot be rebuilt (${(err as Error).message})`);
  }
}
