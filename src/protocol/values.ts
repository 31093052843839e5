/**
 * Errors do not survive structured cloning with their class, own properties
 * and cause intact, so they cross as plain records and are rebuilt on the
 * other side with the same `name`, `message`, own properties, `cause`, an
 * AggregateError's `errors`, and the worker's stack.
 */
import { serialize } from './v8.js';
import { NonErrorThrownError, brandWithCode } from '../errors.js';

export interface EncodedError {
  /** Marks a thrown value that was not an Error: it travels as-is in `value`. */
  nonError?: true;
  value?: unknown;
  name?: string;
  message?: string;
  stack?: string;
  props?: Record<string, unknown>;
  cause?: EncodedError;
  hasCause?: true;
  /** An AggregateError's `errors` (an own, non-enumerable array, so not among `props`), each encoded as a thrown value. */
  errors?: EncodedError[];
}

const MAX_CAUSE_DEPTH = 8;

/**
 * Never throws. A task can throw anything, including an error whose `message`
 * getter throws, a Proxy, or an object with no `toString`: encoding it is on
 * the path of every failure, and an exception here once killed the worker
 * (a synchronous task) or left its caller waiting forever (an async one, a
 * chunk). What cannot be read is said so in its place.
 */
export function encodeError(err: unknown, depth = 0): EncodedError {
  if (!read(() => err instanceof Error, false)) {
    return { nonError: true, value: read(() => cloneable(err), false) ? err : describe(err) };
  }
  const e = err as Error;
  const out: EncodedError = {
    name: read(() => String(e.name), 'Error'),
    message: read(() => String(e.message), '(the message of this error could not be read: its getter threw)'),
    stack: read(() => (typeof e.stack === 'string' ? e.stack : undefined), undefined),
  };
  const props: Record<string, unknown> = {};
  for (const key of read(() => Object.keys(e), [] as string[])) {
    if (key === 'cause') continue;
    const v = read(() => (e as unknown as Record<string, unknown>)[key], UNREADABLE);
    // Drop what cannot cross (functions, sockets...) or be read, instead of failing the whole error.
    if (v !== UNREADABLE && read(() => cloneable(v), false)) props[key] = v;
  }
  if (Object.keys(props).length) out.props = props;
  // Promise.any's rejection, or one a task builds: the errors are the point
  // of it, and structured cloning would drop them with the property.
  const errors = read(() => aggregated(e), undefined);
  if (errors && depth < MAX_CAUSE_DEPTH) out.errors = errors.map((x) => encodeError(x, depth + 1));
  if (read(() => 'cause' in e, false) && depth < MAX_CAUSE_DEPTH) {
    out.hasCause = true;
    out.cause = encodeError(read(() => e.cause, '(the cause of this error could not be read: its getter threw)'), depth + 1);
  }
  return out;
}

/** `errors` when it is an own, non-enumerable array (an AggregateError's, as the constructor makes it); an enumerable one is among `props`. */
function aggregated(e: Error): unknown[] | undefined {
  const d = Object.getOwnPropertyDescriptor(e, 'errors');
  return d && !d.enumerable && 'value' in d && Array.isArray(d.value) ? Array.from(d.value as unknown[]) : undefined;
}

const UNREADABLE = Symbol('unreadable');

function read<T>(get: () => T, fallback: T): T {
  try {
    return get();
  } catch {
    return fallback;
  }
}

/** A thrown value that cannot be copied, as text: String() when it works (`Object.create(null)` has no toString). */
function describe(v: unknown): string {
  return read(() => String(v), read(() => Object.prototype.toString.call(v), '(a value that could not be read)'));
}

/**
 * Classes an error can be rebuilt as. A Map, not an object literal: the name
 * comes from the worker, and a name such as `constructor` or `__proto__` must
 * not find something on Object.prototype.
 */
const BUILTIN = new Map<string, ErrorConstructor>([
  ['Error', Error], ['TypeError', TypeError], ['RangeError', RangeError], ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError], ['EvalError', EvalError], ['URIError', URIError],
]);

export function decodeError(enc: EncodedError, where = 'worker'): Error {
  if (enc.nonError) return new NonErrorThrownError(enc.value);
  const name = typeof enc.name === 'string' ? enc.name : 'Error';
  const Ctor = BUILTIN.get(name) ?? Error;
  const message = typeof enc.message === 'string' ? enc.message : String(enc.message ?? '');
  const errors = Array.isArray(enc.errors) ? enc.errors.map((x) => (x === null || typeof x !== 'object' ? x : x.nonError ? x.value : decodeError(x, where))) : undefined;
  // An AggregateError comes back as one when it went as one; `errors` on any
  // other class is defined as the constructor would have (non-enumerable).
  const err = errors && name === 'AggregateError' ? new AggregateError(errors, message) : new Ctor(message);
  if (errors && !(err instanceof AggregateError)) {
    Object.defineProperty(err, 'errors', { value: errors, configurable: true, writable: true, enumerable: false });
  }
  if (err.name !== name) {
    Object.defineProperty(err, 'name', { value: name, configurable: true, writable: true, enumerable: false });
  }
  // Keep the worker's frames: that is where the bug is.
  Object.defineProperty(err, 'stack', {
    value: `${enc.stack ?? `${enc.name}: ${enc.message}`}\n    at <forkpool ${where}>`,
    configurable: true, writable: true, enumerable: false,
  });
  if (enc.props) {
    for (const [k, v] of Object.entries(enc.props)) {
      // Defined, not assigned: an own key `__proto__` must stay a property, never swap the prototype.
      if (k === 'stack' || k === 'cause') continue;
      try {
        Object.defineProperty(err, k, { value: v, configurable: true, writable: true, enumerable: true });
      } catch { /* not redefinable on this class */ }
    }
  }
  brandWithCode(err, enc.props?.code);
  if (enc.hasCause) {
    const cause = enc.cause?.nonError ? enc.cause.value : enc.cause ? decodeError(enc.cause, where) : undefined;
    Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true, enumerable: false });
  }
  return err;
}

/** Whether a value can cross between processes (primitives cheaply, objects by trying). */
export function cloneable(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol';
  try { serialize(v); return true; } catch { return false; }
}
