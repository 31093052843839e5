/**
 * Replaces some objects of a value graph (shared objects by handles, or
 * handles by live objects: codec.ts) the way structured clone will copy the
 * rest of it, without mutating the caller's value:
 * - it walks what structured clone walks: arrays, Maps (keys and values),
 *   Sets, plain objects and class instances (own enumerable string keys; they
 *   arrive as plain objects anyway). Dates, typed arrays, errors and other
 *   built-ins are left as they are;
 * - only the containers from which a replaced object can be reached are
 *   copied; the rest keep their identity, so a big array beside a Queue is
 *   not copied;
 * - the copy keeps the shape of the graph: an object reached twice is copied
 *   once, and a cycle stays a cycle (structured clone keeps both).
 *
 * The walk is iterative: a deep value cannot overflow the stack, and every
 * container is visited once, so no shape of graph makes it slow.
 */

/** What a Replacer returns for an object it does not replace. */
export const KEEP: unique symbol = Symbol('keep');
export type Replacer = (o: object) => unknown;

/** The result, and whether anything was replaced. */
export interface Replaced { value: unknown; found: boolean }

interface Container {
  readonly obj: object;
  /** Its entries, read once (a getter runs once): values of an array (the array itself) or Set, [key, value] of a Map or object. */
  readonly entries: unknown[];
  /** Child containers, with repeats. */
  readonly kids: object[];
  /** It holds a replaced object directly. */
  holds: boolean;
  /** A replaced object is reachable from it: it gets a copy. */
  reaches: boolean;
  copy?: object;
}

export function replaceInGraph(root: unknown, replace: Replacer): Replaced {
  if (root === null || typeof root !== 'object') return { value: root, found: false };
  const top = attempt(replace, root);
  if (top === OPAQUE) return { value: root, found: false };
  if (top !== KEEP) return { value: top, found: true };
  if (!walkable(root)) return { value: root, found: false };
  // The usual argument list holds primitives and shared objects only: answer without the graph.
  const flat = replaceFlat(root, replace);
  if (flat) return flat;
  return new Walk(replace).run(root);
}

/**
 * A Proxy whose traps throw must not make the walk throw (in the pool it runs
 * inside dispatch): it is left as it is, and the serializer reports it.
 */
function attempt(replace: Replacer, o: object): unknown {
  try { return replace(o); } catch { return OPAQUE; }
}

/** Returned by `attempt` when the Replacer threw: neither replaced nor walked. */
const OPAQUE = Symbol('opaque');

/** `[x, queue]` and the like: no nested container. Undefined when there is one. */
function replaceFlat(root: object, replace: Replacer): Replaced | undefined {
  if (!Array.isArray(root)) return undefined;
  let copy: unknown[] | undefined;
  for (let i = 0; i < root.length; i++) {
    const x: unknown = root[i];
    if (x === null || typeof x !== 'object') continue;
    const y = attempt(replace, x);
    if (y === OPAQUE) continue;
    if (y !== KEEP) { (copy ??= root.slice())[i] = y; continue; }
    if (walkable(x)) return undefined;
  }
  return { value: copy ?? root, found: copy !== undefined };
}

class Walk {
  readonly #replace: Replacer;
  readonly #containers = new Map<object, Container>();
  /** Each replaced object's replacement, made once (a live proxy must not be made twice). */
  readonly #replaced = new Map<object, unknown>();

  constructor(replace: Replacer) {
    this.#replace = replace;
  }

  run(root: object): Replaced {
    const top = container(root);
    if (!top) return { value: root, found: false };
    this.#discover(top);
    if (this.#replaced.size === 0) return { value: root, found: false };
    this.#markReaching();
    for (const c of this.#containers.values()) if (c.reaches) c.copy = emptyCopy(c.obj);
    for (const c of this.#containers.values()) if (c.reaches) this.#fill(c);
    return { value: top.copy ?? root, found: true };
  }

  /** Every container reachable from the root, once each, with the containers and replaced objects it holds. */
  #discover(root: Container): void {
    this.#containers.set(root.obj, root);
    const pending: Container[] = [root];
    while (pending.length > 0) {
      const c = pending.pop()!;
      const pairs = !Array.isArray(c.obj) && !(c.obj instanceof Set);
      for (let i = 0; i < c.entries.length; i++) {
        // Map and object entries are [key, value]: an object key is only a Map's.
        const e = c.entries[i];
        if (pairs) { this.#see(c, (e as [unknown, unknown])[0], pending); this.#see(c, (e as [unknown, unknown])[1], pending); }
        else this.#see(c, e, pending);
      }
    }
  }

  #see(c: Container, x: unknown, pending: Container[]): void {
    if (x === null || typeof x !== 'object') return;
    if (this.#replaced.has(x)) { c.holds = true; return; }
    if (this.#containers.has(x)) { c.kids.push(x); return; }
    const y = attempt(this.#replace, x);
    if (y === OPAQUE) return;
    if (y !== KEEP) { this.#replaced.set(x, y); c.holds = true; return; }
    const kid = walkable(x) ? container(x) : undefined;
    if (!kid) return;
    this.#containers.set(x, kid);
    c.kids.push(x);
    pending.push(kid);
  }

  /** A container reaches a replaced object if it holds one or holds a container that does. */
  #markReaching(): void {
    const parents = new Map<object, Container[]>();
    for (const c of this.#containers.values()) {
      for (const k of c.kids) {
        const list = parents.get(k);
        if (list) list.push(c);
        else parents.set(k, [c]);
      }
    }
    const work: Container[] = [];
    for (const c of this.#containers.values()) if (c.holds) { c.reaches = true; work.push(c); }
    while (work.length > 0) {
      const c = work.pop()!;
      for (const p of parents.get(c.obj) ?? []) if (!p.reaches) { p.reaches = true; work.push(p); }
    }
  }

  /** What a child becomes in a copy. */
  #mapped(x: unknown): unknown {
    if (x === null || typeof x !== 'object') return x;
    if (this.#replaced.has(x)) return this.#replaced.get(x);
    return this.#containers.get(x)?.copy ?? x;
  }

  #fill(c: Container): void {
    const { obj, entries } = c;
    const copy = c.copy!;
    if (Array.isArray(obj)) {
      const out = copy as unknown[];
      // Holes stay holes: emptyCopy sliced the array, and only indices present are written.
      for (let i = 0; i < entries.length; i++) if (i in obj) out[i] = this.#mapped(entries[i]);
    } else if (obj instanceof Set) {
      for (const v of entries) (copy as Set<unknown>).add(this.#mapped(v));
    } else if (obj instanceof Map) {
      for (const [k, v] of entries as Array<[unknown, unknown]>) (copy as Map<unknown, unknown>).set(this.#mapped(k), this.#mapped(v));
    } else {
      const out = copy as Record<string, unknown>;
      for (const [k, v] of entries as Array<[string, unknown]>) out[k] = this.#mapped(v);
    }
  }
}

/**
 * A container with its entries read, or undefined for one whose entries
 * cannot be read (a Proxy or a getter that throws): that object travels as it
 * is, and the serializer reports it as it would have.
 */
function container(obj: object): Container | undefined {
  let entries: unknown[];
  try {
    // An array is read in place (an index has no getter in practice): a big one is not copied.
    if (Array.isArray(obj)) entries = obj;
    else if (obj instanceof Set) entries = [...obj];
    else if (obj instanceof Map) entries = [...obj];
    else entries = Object.keys(obj).map((k) => [k, (obj as Record<string, unknown>)[k]]);
  } catch {
    return undefined;
  }
  return { obj, entries, kids: [], holds: false, reaches: false };
}

/** A container structured clone walks into. Anything else travels as it is. */
function walkable(x: object): boolean {
  let proto: unknown;
  try {
    if (Array.isArray(x) || x instanceof Map || x instanceof Set) return true;
    proto = Object.getPrototypeOf(x);
  } catch {
    return false; // a revoked Proxy, or a trap that throws
  }
  if (proto === Object.prototype || proto === null) return true;
  // Built-ins the serializer copies by their own rules (and functions, which it refuses).
  if (typeof x === 'function' || ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp
    || x instanceof Error || x instanceof Promise || x instanceof WeakMap || x instanceof WeakSet
    || x instanceof Boolean || x instanceof Number || x instanceof String
    || (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer)) return false;
  // A class instance: structured clone copies its own enumerable properties into a plain object.
  return true;
}

/** An empty container of the same kind (arrays sliced, so holes and length are kept). */
function emptyCopy(obj: object): object {
  if (Array.isArray(obj)) return obj.slice();
  if (obj instanceof Map) return new Map();
  if (obj instanceof Set) return new Set();
  return Object.getPrototypeOf(obj) === null ? Object.create(null) as object : {};
}
