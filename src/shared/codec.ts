/**
 * Shared objects inside task arguments, results and shared-object values.
 *
 * A shared object travels as a small handle `{ '@forkpool/shared': kind, id }`,
 * never as its contents, so handing a big SharedList to 10,000 tasks costs a
 * few bytes each. The handle is a plain object because class instances lose
 * their prototype in the V8 serializer; the receiving side turns it back into
 * a live object (the main process: the object itself; a worker: a proxy).
 *
 * The pool calls `encodeShared` on every argument list, `initargs` and result
 * before it crosses, and `decodeShared` on the other side when the sender said
 * something was encoded. Both are cheap no-ops until the process has created
 * or received a shared object, so pools that never use shared objects pay
 * nothing. `encodeValue`/`decodeValue` walk arrays, plain objects, Maps and
 * Sets and copy only the containers on the path to a shared object, so the
 * caller's own arrays are never mutated.
 */
import { inWorker } from './objects/worker-link.js';

export interface Encoded {
  value: unknown;
  /** True when at least one shared object was replaced by a handle. */
  found: boolean;
}

/** Replaces shared objects in `value` by handles. Returns `value` itself when there are none. */
export function encodeShared(value: unknown): Encoded {
  if (!active) return { value, found: false };
  return encodeValue(value);
}

/** Replaces handles in `value` by live proxies. */
export function decodeShared(value: unknown): unknown {
  // The main process can only get back handles of objects it created. A
  // worker cannot know what the parent sent without looking, but the walk
  // stops at the first level for primitives, so plain arguments cost little.
  if (!active && !inWorker()) return value;
  return decodeValue(value);
}

export const TAG = '@forkpool/shared';

export type Kind =
  | 'list' | 'dict' | 'value' | 'lock' | 'rlock' | 'semaphore'
  | 'event' | 'barrier' | 'condition' | 'queue' | 'joinable' | 'conn';

/** Small facts a proxy needs synchronously (a Queue's `maxsize`, a Barrier's `parties`, a Pipe end's index). */
export type Info = Readonly<Record<string, number | boolean>>;

export interface Handle {
  readonly [TAG]: Kind;
  readonly id: number;
  readonly x?: Info;
}

/** Every shared object and proxy answers this with its handle. */
export const HANDLE: unique symbol = Symbol('forkpool.shared.handle');

export interface Shareable {
  [HANDLE](): Handle;
}

/**
 * Set once this process has created or received a shared object. Until then
 * the codec returns values untouched, so pools that never share objects do
 * not pay for the walk on every task.
 */
let active = false;
export function markActive(): void { active = true; }

/**
 * Turns a handle into a live object (main process: the object itself; worker:
 * a proxy). Installed by `objects/resolve.ts`, which `link.ts` and `index.ts`
 * load: this module cannot import the classes, which depend on it.
 */
type Resolver = (h: Handle) => object;
let resolver: Resolver = () => { throw new Error('forkpool: no shared-object resolver installed (import forkpool/shared/link.js)'); };
export function setResolver(r: Resolver): void { resolver = r; }

const NONE = Symbol('none');

const KINDS: ReadonlySet<string> = new Set<Kind>(['list', 'dict', 'value', 'lock', 'rlock', 'semaphore', 'event', 'barrier', 'condition', 'queue', 'joinable', 'conn']);

/**
 * True for a handle of a known kind. An object that only looks like one (a
 * user's `{ '@forkpool/shared': 'constructor', id: 1 }`) stays a plain object
 * instead of failing the whole message that carries it.
 */
export function isHandle(v: unknown): v is Handle {
  if (v === null || typeof v !== 'object') return false;
  const kind = (v as Record<string, unknown>)[TAG];
  return typeof kind === 'string' && KINDS.has(kind) && typeof (v as Record<string, unknown>).id === 'number';
}

function encodeLeaf(o: object): unknown {
  return HANDLE in o ? (o as Shareable)[HANDLE]() : NONE;
}

function decodeLeaf(o: object): unknown {
  if (!isHandle(o)) return NONE;
  active = true;
  return resolver(o);
}

/**
 * Depth below which containers are not tracked. Real arguments are shallow,
 * so the walk allocates nothing for them; only a value this deep (in practice,
 * a cycle, which structured clone allows) pays for cycle detection.
 */
const UNTRACKED_DEPTH = 64;

interface WalkState { found: boolean; seen: Set<object> | undefined }

export function encodeValue(value: unknown): Encoded {
  if (value === null || typeof value !== 'object') return { value, found: false };
  const state: WalkState = { found: false, seen: undefined };
  const out = transform(value, encodeLeaf, state, 0);
  return { value: out, found: state.found };
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return transform(value, decodeLeaf, { found: false, seen: undefined }, 0);
}

function transform(value: object, leaf: (o: object) => unknown, state: WalkState, depth: number): unknown {
  const replaced = leaf(value);
  if (replaced !== NONE) { state.found = true; return replaced; }
  if (depth > UNTRACKED_DEPTH) {
    // Visit each deep container once, so a cycle ends.
    state.seen ??= new Set();
    if (state.seen.has(value)) return value;
    state.seen.add(value);
  }
  const d = depth + 1;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (x === null || typeof x !== 'object') continue;
      const y = transform(x, leaf, state, d);
      if (y !== x) (copy ??= value.slice())[i] = y;
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [k, x] of value) {
      const y = x !== null && typeof x === 'object' ? transform(x, leaf, state, d) : x;
      if (y !== x) changed = true;
      entries.push([k, y]);
    }
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const x of value) {
      const y = x !== null && typeof x === 'object' ? transform(x, leaf, state, d) : x;
      if (y !== x) changed = true;
      items.push(y);
    }
    return changed ? new Set(items) : value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  const rec = value as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    const x = rec[key];
    if (x === null || typeof x !== 'object') continue;
    const y = transform(x, leaf, state, d);
    if (y !== x) (copy ??= { ...rec })[key] = y;
  }
  return copy ?? value;
}
