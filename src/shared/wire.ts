/**
 * How a shared object travels: as a small handle `{ '@forkpool/shared': kind, id }`,
 * never as its contents, so handing a big SharedList to 10,000 tasks costs a
 * few bytes each. The handle is a plain object because class instances lose
 * their prototype in the V8 serializer; the receiving side turns it back into
 * a live object (the main process: the object itself; a worker: a proxy).
 *
 * `encodeValue` and `decodeValue` walk arrays, plain objects, Maps and Sets
 * and copy only the containers on the path to a shared object, so the caller's
 * own arrays are never mutated.
 */

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
export function isActive(): boolean { return active; }

/** Turns a handle into a live object; set by the hub (main process) or the worker link. */
type Resolver = (h: Handle) => object;
let resolver: Resolver = () => { throw new Error('forkpool: no shared-object resolver installed'); };
export function setResolver(r: Resolver): void { resolver = r; }

const NONE = Symbol('none');

export function isHandle(v: unknown): v is Handle {
  return v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)[TAG] === 'string'
    && typeof (v as Record<string, unknown>).id === 'number';
}

function encodeLeaf(o: object): unknown {
  return HANDLE in o ? (o as Shareable)[HANDLE]() : NONE;
}

function decodeLeaf(o: object): unknown {
  if (!isHandle(o)) return NONE;
  active = true;
  return resolver(o);
}

export interface Walked { value: unknown; found: boolean }

/**
 * Depth below which containers are not tracked. Real arguments are shallow,
 * so the walk allocates nothing for them; only a value this deep (in practice,
 * a cycle, which structured clone allows) pays for cycle detection.
 */
const UNTRACKED_DEPTH = 64;

interface WalkState { found: boolean; seen: Set<object> | undefined }

export function encodeValue(value: unknown): Walked {
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
