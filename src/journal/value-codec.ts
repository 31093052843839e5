/**
 * How results and errors are stored in a journal record, so that a resumed
 * run returns exactly what an uninterrupted run returns.
 *
 * The pool moves values between processes with V8 serialization, so whatever
 * a task can return (Buffer, typed arrays, ArrayBuffer, RegExp, Error, Date
 * including an invalid one, Map, Set, bigint, sparse arrays, shared and cyclic
 * references, ...) is exactly what `v8.serialize` can store. The journal uses
 * the same serializer, but only where it has to:
 *
 * - a value that JSON carries without change (strings, finite numbers other
 *   than -0, booleans, null, plain objects and dense arrays, with no shared or
 *   cyclic reference) is stored as itself in `v`, readable by people and `jq`;
 * - anything else is stored in `x` as base64 of `v8.serialize(value)`.
 *
 * Two separate fields (rather than a tag inside `v`) mean user data can never
 * be mistaken for a tag. Errors are stored as `encodeError` records (see
 * protocol/values.ts): in `e` when that is plain JSON, else in `ex` (V8,
 * base64), with `e` keeping a readable name, message and stack.
 *
 * Version 1 journals stored odd values as `{"$fp": "<type>", "v": ...}` trees
 * inside `v`; `decodeLegacy` reads those. A plain value written now never
 * holds a `$fp` key (such values go to `x`), so `decodeLegacy` leaves plain
 * values as they are and a version-1 journal can be resumed and appended to.
 */
import { serialize, deserialize } from 'node:v8';
import { encodeError, type EncodedError } from '../protocol/values.js';

/** The key version 1 used to tag odd values; reserved, so plain values holding it go to `x`. */
const LEGACY_TAG = '$fp';
/** A cause chain deeper than encodeError writes is damage, not data. */
const MAX_CAUSE_DEPTH = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What a stored value or error failed to decode from; journal-file.ts turns it into JournalCorruptError with the line. */
export class CodecError extends Error {}

export type StoredValue = { v: unknown } | { x: string };
export type StoredError = { e: Record<string, unknown>; ex?: string };

/**
 * The fields storing a result, or undefined when even V8 cannot serialize it
 * (a function, a symbol: the pool could not have returned it either). Such a
 * result is not recorded, so a resumed run runs the item again.
 */
export function encodeValue(value: unknown): StoredValue | undefined {
  if (isPlainJson(value)) return { v: value };
  return asV8(value);
}

/**
 * The value as V8 bytes, or undefined when this process cannot write it (a
 * value nested too deep for the stack): it is then not recorded, and runs
 * again on resume. Also the fallback for a plain-JSON value that
 * JSON.stringify cannot write where the record is appended (journal-file.ts).
 */
export function asV8(value: unknown): StoredValue | undefined {
  try {
    return { x: serialize(value).toString('base64') };
  } catch {
    return undefined;
  }
}

/** The value back from its record fields. `legacy`: the journal is version 1. Throws CodecError. */
export function decodeValue(rec: { v?: unknown; x?: unknown }, legacy: boolean): unknown {
  if (Object.hasOwn(rec, 'x')) return fromV8(rec.x, 'the recorded value');
  return legacy ? decodeLegacyTree(rec.v) : rec.v;
}

export function encodeStoredError(err: Error): StoredError {
  // A task that threw a non-Error reached us as NonErrorThrownError; store what it threw, so that
  // decodeError rebuilds the same class (as it does for the pool) instead of a plain Error named like it.
  const thrown = isNonErrorThrown(err) ? err.value : err;
  const enc = compact(encodeError(thrown));
  if (isPlainJson(enc)) return { e: enc as Record<string, unknown> };
  const readable: Record<string, unknown> = {};
  for (const k of ['name', 'message', 'stack'] as const) if (typeof enc[k] === 'string') readable[k] = enc[k];
  if (enc.nonError) readable.nonError = true;
  try {
    return { e: readable, ex: serialize(enc).toString('base64') };
  } catch {
    // Nested too deep for V8 here (the worker had more stack to spare): the readable part is kept.
    return { e: readable };
  }
}

/** The encodeError record back from its fields, checked field by field. Throws CodecError. */
export function decodeStoredError(rec: { e?: unknown; ex?: unknown }, legacy: boolean): EncodedError {
  if (Object.hasOwn(rec, 'ex')) return checkEncodedError(fromV8(rec.ex, 'the recorded error'), 0);
  return checkEncodedError(legacy ? decodeLegacyTree(rec.e) : rec.e, 0);
}

/**
 * Whether JSON.stringify then JSON.parse gives back an equal value. Each
 * object may be met once: a second meeting is a shared or cyclic reference,
 * which JSON would duplicate or cannot write.
 */
export function isPlainJson(value: unknown, seen: Set<object> = new Set()): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      // Same length as own keys: no holes (JSON writes null) and no extra named properties (JSON drops them).
      return Object.getPrototypeOf(value) === Array.prototype && Object.keys(value).length === value.length &&
        value.every((x) => isPlainJson(x, seen));
    }
    if (Object.getPrototypeOf(value) !== Object.prototype || Object.hasOwn(value, LEGACY_TAG)) return false;
    for (const key of Object.keys(value)) if (!isPlainJson((value as Record<string, unknown>)[key], seen)) return false;
    return true;
  } catch {
    return false; // nested too deep for the stack: V8 decides
  }
}

function fromV8(data: unknown, what: string): unknown {
  if (typeof data !== 'string' || !BASE64.test(data)) throw new CodecError(`${what} is not base64`);
  try {
    return deserialize(Buffer.from(data, 'base64'));
  } catch (err) {
    throw new CodecError(`${what} does not deserialize (${(err as Error).message})`);
  }
}

/** Drops fields that are undefined (JSON would drop them anyway), so a usual error stays readable JSON. */
function compact(enc: EncodedError): EncodedError {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(enc)) {
    if (v !== undefined) out[k] = k === 'cause' ? compact(v as EncodedError) : k === 'errors' ? (v as EncodedError[]).map(compact) : v;
  }
  return out as EncodedError;
}

function isNonErrorThrown(err: Error): err is Error & { value: unknown } {
  return Object.hasOwn(err, 'code') && (err as { code?: unknown }).code === 'ERR_FORKPOOL_NON_ERROR_THROWN' && Object.hasOwn(err, 'value');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Rebuilds an encodeError record from own fields only, so nothing is taken from a prototype. */
function checkEncodedError(x: unknown, depth: number): EncodedError {
  if (!isRecord(x) || depth > MAX_CAUSE_DEPTH) throw new CodecError('the recorded error is not an error record');
  const field = (k: string): unknown => (Object.hasOwn(x, k) ? x[k] : undefined);
  const out: EncodedError = {};
  for (const k of ['name', 'message', 'stack'] as const) {
    const v = field(k);
    if (v !== undefined && typeof v !== 'string') throw new CodecError(`the recorded error's ${k} is not a string`);
    if (v !== undefined) out[k] = v;
  }
  if (field('nonError') !== undefined) {
    if (field('nonError') !== true) throw new CodecError('the recorded error has a bad "nonError" flag');
    out.nonError = true;
    out.value = field('value');
  }
  const props = field('props');
  if (props !== undefined) {
    if (!isRecord(props)) throw new CodecError('the recorded error\'s "props" is not an object');
    out.props = props;
  }
  if (field('hasCause') !== undefined) {
    if (field('hasCause') !== true) throw new CodecError('the recorded error has a bad "hasCause" flag');
    out.hasCause = true;
    const cause = field('cause');
    if (cause !== undefined) out.cause = checkEncodedError(cause, depth + 1);
  }
  const errors = field('errors');
  if (errors !== undefined) {
    if (!Array.isArray(errors)) throw new CodecError('the recorded error\'s "errors" is not an array');
    out.errors = errors.map((e) => checkEncodedError(e, depth + 1));
  }
  return out;
}

/** decodeLegacy, with a tree too deep for its recursion reported as damage (CodecError), not thrown as a RangeError that ended the run. */
function decodeLegacyTree(json: unknown): unknown {
  try {
    return decodeLegacy(json);
  } catch (err) {
    if (err instanceof RangeError) throw new CodecError(`a value nested too deep to read (${err.message})`);
    throw err;
  }
}

/** Reads a version-1 `{"$fp": ...}` tree. An unknown tag or a bad payload is damage: CodecError. */
export function decodeLegacy(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(decodeLegacy);
  const obj = json as Record<string, unknown>;
  if (!Object.hasOwn(obj, LEGACY_TAG)) return decodeLegacyObject(obj);
  const tag = obj[LEGACY_TAG];
  const v = Object.hasOwn(obj, 'v') ? obj.v : undefined;
  const bad = (): never => { throw new CodecError(`a ${JSON.stringify(tag)} tag holds ${JSON.stringify(v) ?? 'nothing'}`); };
  switch (tag) {
    case 'undefined': return undefined;
    case 'cycle': return undefined; // version 1 cut cycles; what was cut is lost
    case 'number':
      return v === 'NaN' || v === 'Infinity' || v === '-Infinity' || v === '-0' ? Number(v) : bad();
    case 'bigint':
      return typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : bad();
    case 'Date': {
      const d = typeof v === 'string' ? new Date(v) : undefined;
      return d && !Number.isNaN(d.getTime()) ? d : bad();
    }
    case 'Map':
      if (!Array.isArray(v) || !v.every((e) => Array.isArray(e) && e.length === 2)) return bad();
      return new Map((v as [unknown, unknown][]).map(([k, x]) => [decodeLegacy(k), decodeLegacy(x)]));
    case 'Set':
      return Array.isArray(v) ? new Set(v.map(decodeLegacy)) : bad();
    case 'bytes':
      return typeof v === 'string' && BASE64.test(v) ? new Uint8Array(Buffer.from(v, 'base64')) : bad();
    case 'object':
      return isRecord(v) ? decodeLegacyObject(v) : bad();
    default:
      throw new CodecError(`unknown value tag ${JSON.stringify(tag)}`);
  }
}

function decodeLegacyObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // defineProperty, so an own "__proto__" key stays data and never sets the prototype.
  for (const key of Object.keys(obj)) Object.defineProperty(out, key, { value: decodeLegacy(obj[key]), enumerable: true, writable: true, configurable: true });
  return out;
}
