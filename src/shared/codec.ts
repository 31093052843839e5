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
 * nothing. `encodeValue`/`decodeValue` walk the value as structured clone
 * will (graph-replace.ts) and copy only the containers from which a shared
 * object can be reached, keeping cycles and repeated references; the
 * caller's own value is never mutated.
 */
import { KEEP, replaceInGraph } from './graph-replace.js';
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

/**
 * Marks objects that must never cross (a Manager): their value under this
 * key says why. Structured clone would turn a Manager into `{}` (its state is
 * in private fields), which a task would then use as if it were one.
 */
export const UNSENDABLE: unique symbol = Symbol('forkpool.shared.unsendable');

function encodeLeaf(o: object): unknown {
  if (UNSENDABLE in o) return refusal(String((o as Record<typeof UNSENDABLE, unknown>)[UNSENDABLE]));
  return HANDLE in o ? (o as Shareable)[HANDLE]() : KEEP;
}

/**
 * Stands in for an object that must not cross: a getter that throws `why`
 * when the serializer reads it. Every path that sends a value (task
 * arguments to a process or a thread, a shared object's arguments) clones it
 * after encoding, and each already turns a failed clone into a
 * DataCloneError naming what was being sent, with this message as the reason.
 */
function refusal(why: string): object {
  return Object.defineProperty({}, 'refused', { enumerable: true, get() { throw new Error(why); } });
}

function decodeLeaf(o: object): unknown {
  if (!isHandle(o)) return KEEP;
  active = true;
  return resolver(o);
}

export function encodeValue(value: unknown): Encoded {
  return replaceInGraph(value, encodeLeaf);
}

export function decodeValue(value: unknown): unknown {
  return replaceInGraph(value, decodeLeaf).value;
}
