/**
 * The hub: the one place, in the main process, where every shared object
 * lives (the objects of all Managers plus standalone Queues and Pipes).
 *
 *   main-process call ──► callLocal ──┐
 *                                     ├─► HubObject.call(op, args, reply) ──► reply
 *   worker {k:'q'} ──► receive ───────┘        (applied whole, in one place)
 *   worker exits ──► peerGone ──► each object drops the worker's waiters and
 *                                 gives back its locks; un-acknowledged Queue
 *                                 items go back into their queue
 *
 * Because every operation runs here, on one thread, each one is atomic
 * without any locking of our own.
 */
import { ManagerShutdownError, toWireError } from './errors.js';
import { localReply, MAIN, type HubObject, type Reply } from './reply.js';
import type { HubAnswer, HubRequest } from './messages.js';
import type { HubPeer } from './link.js';
import { markActive } from './wire.js';

interface Entry {
  state: HubObject;
  /** The main-side object, so a handle coming back from a worker resolves to the same object. */
  facade: WeakRef<object> | undefined;
  /** The main-side object was collected: unregister as soon as the state is idle. */
  orphan: boolean;
}

interface Delivery { peer: string; onLost: () => void }

/** Remembered names of destroyed objects, so late callers learn what happened. Bounded: only for messages. */
const TOMBSTONE_LIMIT = 10_000;

const objects = new Map<number, Entry>();
const tombstones = new Map<number, string>();
const deliveries = new Map<number, Delivery>();
/** Unanswered worker requests by `key:r`, so a cancel can find the parked call. */
const parked = new Map<string, Reply>();
let nextId = 1;
let nextDelivery = 1;

/**
 * Caller keys of live workers. Peer ids (`w3`) are only unique within one
 * pool, so a second pool's `w3` gets a suffixed key instead of sharing locks
 * and waiters with the first one's.
 */
const keys = new WeakMap<HubPeer, string>();
const liveKeys = new Set<string>();
let keySuffix = 0;

function keyOf(peer: HubPeer): string {
  let key = keys.get(peer);
  if (key === undefined) {
    key = liveKeys.has(peer.id) ? `${peer.id}.${++keySuffix}` : peer.id;
    keys.set(peer, key);
    liveKeys.add(key);
  }
  return key;
}

/** Registers a new object; returns its id. */
export function register(make: (id: number) => HubObject): number {
  const id = nextId++;
  objects.set(id, { state: make(id), facade: undefined, orphan: false });
  markActive();
  return id;
}

/** Destroys an object: its waiters fail with `why`, later calls get ManagerShutdownError. */
export function unregister(id: number, why: string): void {
  const entry = objects.get(id);
  if (!entry) return;
  objects.delete(id);
  tombstones.set(id, `${entry.state.label} ${why}`);
  if (tombstones.size > TOMBSTONE_LIMIT) tombstones.delete(tombstones.keys().next().value!);
  entry.state.dispose(new ManagerShutdownError(`${entry.state.label} ${why}`));
}

/** The main-side object was garbage-collected: free the state once nothing can use it. */
export function orphan(id: number): void {
  const entry = objects.get(id);
  if (!entry) return;
  if (!entry.state.idle || entry.state.idle()) unregister(id, 'was garbage-collected');
  else entry.orphan = true;
}

/**
 * A call from the main process itself: no IPC, same semantics. When `signal`
 * fires while the call is parked, it is withdrawn and rejects with
 * WaitCancelledError (the caller turns that into the signal's reason).
 */
export function callLocal(id: number, op: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
  if (!signal) return new Promise((resolve, reject) => dispatch(id, op, args, localReply(resolve, reject)));
  const onAbort = (): void => cancel(reply);
  let reply!: Reply;
  const p = new Promise<unknown>((resolve, reject) => {
    reply = localReply(resolve, reject);
  });
  signal.addEventListener('abort', onAbort, { once: true });
  dispatch(id, op, args, reply);
  const cleanup = (): void => signal.removeEventListener('abort', onAbort);
  p.then(cleanup, cleanup);
  return p;
}

function cancel(reply: Reply): void {
  const withdraw = reply.onCancel;
  reply.onCancel = undefined;
  withdraw?.();
}

function dispatch(id: number, op: string, args: unknown[], reply: Reply): void {
  const entry = objects.get(id);
  if (!entry) {
    const why = tombstones.get(id) ?? `shared object #${id} does not exist in this process`;
    reply.fail(new ManagerShutdownError(`Cannot call ${op}(): ${why}`));
    return;
  }
  try {
    entry.state.call(op, args, reply);
  } catch (err) {
    reply.fail(err instanceof Error ? err : new Error(String(err)));
  }
  if (entry.orphan && entry.state.idle?.()) unregister(id, 'was garbage-collected');
}

/** A hub message from worker `peer` (called by the pool for every `{t:'hub'}` event). */
export function receive(peer: HubPeer, message: unknown): void {
  const m = message as HubRequest;
  if (m === null || typeof m !== 'object') return;
  if (m.k === 'ack') {
    deliveries.delete(m.d);
    return;
  }
  if (m.k === 'x') {
    const reply = parked.get(`${keyOf(peer)}:${m.r}`);
    if (reply) cancel(reply);
    return;
  }
  if (m.k === 'q') dispatch(m.o, m.op, Array.isArray(m.a) ? m.a : [], remoteReply(peer, keyOf(peer), m.r));
}

function remoteReply(peer: HubPeer, key: string, r: number): Reply {
  let done = false;
  const slot = `${key}:${r}`;
  const send = (answer: HubAnswer): boolean => {
    try {
      peer.send(answer);
      return true;
    } catch {
      // The channel is gone (the worker is exiting): peerGone follows and cleans up.
      return false;
    }
  };
  const reply: Reply = {
    caller: key,
    onCancel: undefined,
    ok(value, onLost) {
      if (done) return;
      done = true;
      parked.delete(slot);
      if (!onLost) { send({ k: 'r', r, v: value }); return; }
      // Keep the item recoverable until the worker confirms it arrived: if the
      // worker dies first, onLost puts it back, so it is neither lost nor
      // delivered twice (the worker acknowledges before its code sees the item).
      const d = nextDelivery++;
      deliveries.set(d, { peer: key, onLost });
      if (!send({ k: 'r', r, v: value, d })) {
        deliveries.delete(d);
        onLost();
      }
    },
    fail(error) {
      if (done) return;
      done = true;
      parked.delete(slot);
      send({ k: 'e', r, e: toWireError(error) });
    },
  };
  parked.set(slot, reply);
  return reply;
}

/** Worker `peer` exited. Called by the pool after every message it sent was delivered. */
export function peerGone(peer: HubPeer): void {
  const key = keys.get(peer);
  // A worker that never used a shared object has nothing to clean up.
  if (key === undefined) return;
  keys.delete(peer);
  liveKeys.delete(key);
  for (const slot of parked.keys()) if (slot.startsWith(`${key}:`)) parked.delete(slot);
  // Waiters first, so a returned item cannot be handed to the dead worker again.
  for (const [id, entry] of [...objects]) {
    try { entry.state.peerGone(key); } catch { /* one broken object must not block the others */ }
    if (entry.orphan && entry.state.idle?.()) unregister(id, 'was garbage-collected');
  }
  // Newest first, so items put back at the front keep their original order.
  const lost = [...deliveries].filter(([, d]) => d.peer === key).reverse();
  for (const [d, delivery] of lost) {
    deliveries.delete(d);
    delivery.onLost();
  }
}

/** True while object `id` exists. */
export function exists(id: number): boolean { return objects.has(id); }

/** The live main-side object of `id`, if it was not collected. */
export function facadeOf(id: number): object | undefined { return objects.get(id)?.facade?.deref(); }

export function setFacade(id: number, facade: object): void {
  const entry = objects.get(id);
  if (entry) entry.facade = new WeakRef(facade);
}

export { MAIN };
export type { HubObject as HubObjectLike };
