/**
 * The one thing every public shared object holds: a `Ref` that applies an
 * operation to the hub object, directly in the main process (`LocalRef`) or
 * over the worker's channel (`RemoteRef`). The public classes are therefore
 * the same code in both places, with the same async API.
 *
 * Values cross by copy in both directions, also in the main process (a
 * structured clone), so a plain object taken out of a SharedList is always a
 * copy, wherever the code runs; Python's Manager proxies behave the same way.
 */
import { DataCloneError, InvalidStateError } from '../../errors.js';
import { WaitCancelledError } from '../errors.js';
import { signalOf, timeoutOf, type WaitOptions } from '../options.js';
import { decodeValue, encodeValue, HANDLE, TAG, type Handle, type Info, type Kind, type Shareable } from '../codec.js';
import * as hub from '../hub/hub.js';
import type { HubObject } from '../hub/reply.js';
import * as link from './worker-link.js';

export interface Ref {
  readonly id: number;
  readonly kind: Kind;
  readonly info: Info;
  /** Applies `op`. A waiting call is withdrawn when `signal` fires, and rejects with its reason. */
  call(op: string, args: unknown[], signal?: AbortSignal): Promise<unknown>;
}

/** Copies `args` the way the serializer would, replacing shared objects by handles. */
function copyIn(args: unknown[], op: string): unknown[] {
  let plain = true;
  // Primitives copy as themselves; anything else (functions included, to be refused) is cloned.
  for (const a of args) if (a !== null && (typeof a === 'object' || typeof a === 'function' || typeof a === 'symbol')) { plain = false; break; }
  if (plain) return args;
  try {
    return structuredClone(encodeValue(args).value) as unknown[];
  } catch (err) {
    throw new DataCloneError(`the arguments of ${op}()`, err);
  }
}

function copyOut(v: unknown): unknown {
  return v === null || typeof v !== 'object' ? v : decodeValue(structuredClone(v));
}

/** A Ref in the main process: calls the hub directly, copying values as IPC would. */
export class LocalRef implements Ref {
  /** Keeps the owning Manager alive while any of its objects is reachable. */
  readonly #owner: object | undefined;
  constructor(readonly id: number, readonly kind: Kind, readonly info: Info, owner?: object) {
    this.#owner = owner;
    void this.#owner;
  }
  call(op: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let copied: unknown[];
    try { copied = copyIn(args, op); } catch (err) { return Promise.reject(err); }
    return hub.callLocal(this.id, op, copied, signal).then(copyOut, (err: unknown) => {
      throw err instanceof WaitCancelledError && signal ? signal.reason : err;
    });
  }
}

/** A Ref in a worker: each call is a request to the hub over the worker's channel. */
export class RemoteRef implements Ref {
  constructor(readonly id: number, readonly kind: Kind, readonly info: Info) {}
  async call(op: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    const v = await link.request(this.id, op, encodeValue(args).value as unknown[], signal);
    return decodeValue(v);
  }
}

/**
 * The base of every public shared class. Subclasses call `this.op(...)`;
 * the brand `HANDLE` is how the codec recognises them inside arguments.
 */
export abstract class SharedObject implements Shareable {
  readonly #ref: Ref;
  readonly #handle: Handle;

  protected constructor(ref: Ref) {
    this.#ref = ref;
    this.#handle = { [TAG]: ref.kind, id: ref.id, x: ref.info };
    // Remember the main-side object, so its handle coming back from a worker resolves to it.
    if (ref instanceof LocalRef && hub.exists(ref.id) && !hub.facadeOf(ref.id)) hub.setFacade(ref.id, this);
  }

  /** True when this object is a proxy inside a worker. */
  protected get remote(): boolean { return this.#ref instanceof RemoteRef; }

  /** The hub object's id (what a worker's fast paths address directly). */
  protected get objectId(): number { return this.#ref.id; }

  /** @internal */
  [HANDLE](): Handle { return this.#handle; }

  protected op(op: string, ...args: unknown[]): Promise<unknown> {
    return this.#ref.call(op, args);
  }

  /**
   * An operation that may wait: checks `options` (naming `what` in errors),
   * sends its timeout as the last argument, and withdraws it when its signal fires.
   */
  protected waiting(op: string, what: string, options: WaitOptions | undefined, ...args: unknown[]): Promise<unknown> {
    const signal = signalOf(options, what);
    return this.#ref.call(op, [...args, timeoutOf(options, what)], signal);
  }

  protected get info(): Info { return this.#ref.info; }
}

/**
 * Creates the hub object for a new main-side shared object, returning its Ref.
 * `owner(id)` is kept alive by the Ref: the Manager, or a standalone object's
 * collection token.
 */
export function createLocal(kind: Kind, what: string, make: (id: number) => HubObject, info: Info, owner: (id: number) => object): Ref {
  if (link.inWorker()) {
    throw new InvalidStateError(`${what} must be created in the main process and passed to tasks as an argument; it was created inside a worker`);
  }
  const id = hub.register(make);
  return new LocalRef(id, kind, info, owner(id));
}

/** Constructors of public classes take an optional Ref through this side door. */
let adopted: Ref | undefined;
export function adopt<T>(ref: Ref, make: () => T): T {
  adopted = ref;
  try { return make(); } finally { adopted = undefined; }
}
export function takeAdopted(): Ref | undefined {
  const r = adopted;
  adopted = undefined;
  return r;
}
