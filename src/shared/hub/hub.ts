/**
 * The hub: the one place, in the main process, where every shared object
 * lives (the objects of all Managers plus standalone Queues and Pipes).
 *
 *   main-process call ──► callLocal ──┐
 *                                     ├─► HubObject.call(op, args, reply) ──► reply
 *   worker {k:'q'} ──► receive ───────┘        (applied whole, in one place)
 *   worker exits ──► peerGone ──► each object drops the worker's waiters and
 *                                 gives back its locks; un-acknowledged Queue
 *                                 items go back into their queue (and, if it
 *                                 died, the JoinableQueue items it took and
 *                                 had not marked done)
 *   worker task ends {k:'te'} ──► taskEnded: a JoinableQueue's items that
 *                                 task took are no longer put back on a death
 *
 * Because every operation runs here, on one thread, each one is atomic
 * without any locking of our own.
 */
import { invalidArg, show } from '../../errors.js';
import { ManagerShutdownError, toWireError } from '../errors.js';
import { localReply, type HubObject, type Reply } from './reply.js';
import type { HubAnswer, HubPeer } from '../messages.js';
import { markActive } from '../codec.js';
import { dropTakeLog, registerTakeLog } from './take-logs.js';

interface Entry {
  state: HubObject;
  /** The main-side object, so a handle coming back from a worker resolves to the same object. */
  facade: WeakRef<object> | undefined;
  /** The main-side object was collected: unregister as soon as the state is idle. */
  orphan: boolean;
}

interface Delivery { peer: string; onLost: () => void; onDelivered: (() => void) | undefined }

/** Remembered names of destroyed objects, so late callers learn what happened. Bounded: only for messages. */
const TOMBSTONE_LIMIT = 10_000;

const objects = new Map<number, Entry>();
const tombstones = new Map<number, string>();
const deliveries = new Map<number, Delivery>();
let nextId = 1;
let nextDelivery = 1;

/**
 * What the hub keeps per live worker. Its caller key: peer ids (`w3`) are
 * only unique within one pool, so a second pool's `w3` gets a suffixed key
 * instead of sharing locks and waiters with the first one's.
 */
interface PeerRecord {
  readonly key: string;
  /** Unanswered requests by request id, so a cancel can find the parked call. */
  readonly parked: Map<number, Reply>;
  /** Answers of this turn, not sent yet: they leave as one message at the end of the turn. */
  outbox: HubAnswer[];
  /** The worker exited: nothing sent to it arrives any more. */
  gone: boolean;
}

const peers = new WeakMap<HubPeer, PeerRecord>();
/** Live workers by caller key, so an object can tell one of them something unasked (`notify`). */
const byKey = new Map<string, { peer: HubPeer; rec: PeerRecord }>();
let keySuffix = 0;

function recordOf(peer: HubPeer): PeerRecord {
  let rec = peers.get(peer);
  if (rec === undefined) {
    const key = byKey.has(peer.id) ? `${peer.id}.${++keySuffix}` : peer.id;
    rec = { key, parked: new Map(), outbox: [], gone: false };
    peers.set(peer, rec);
    byKey.set(key, { peer, rec });
  }
  return rec;
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

/**
 * A hub message from worker `peer` (called by the pool for every `{t:'hub'}`
 * event). Never throws: a malformed message from a buggy or foreign worker
 * fails that one request (or is dropped when it cannot be answered), and the
 * main process goes on.
 */
export function receive(peer: HubPeer, message: unknown): void {
  if (message === null || typeof message !== 'object') return;
  const m = message as Partial<Record<string, unknown>>;
  // One level only: a batch inside a batch is not something a worker sends.
  if (m.k === 'b') {
    if (Array.isArray(m.m)) for (const one of m.m) receiveOne(peer, one);
  } else {
    receiveOne(peer, m);
  }
}

function receiveOne(peer: HubPeer, message: unknown): void {
  if (message === null || typeof message !== 'object') return;
  const m = message as Partial<Record<string, unknown>>;
  switch (m.k) {
    case 'ack': {
      // Only the worker a delivery was sent to can confirm it.
      const d = typeof m.d === 'number' ? deliveries.get(m.d) : undefined;
      if (d && d.peer === recordOf(peer).key) {
        deliveries.delete(m.d as number);
        d.onDelivered?.();
      }
      return;
    }
    case 'n': {
      // No answer wanted: the worker already knows the outcome (a Pipe send). A
      // failure here is a race with a close, and the value is dropped as if
      // it had been sent just before the close.
      if (typeof m.o !== 'number' || typeof m.op !== 'string') return;
      dispatch(m.o, m.op, Array.isArray(m.a) ? m.a : [], silentReply(recordOf(peer).key));
      return;
    }
    case 'tl':
      registerTakeLog(recordOf(peer).key, m);
      return;
    case 'te': {
      // A task of this worker ended: per Queue, how many lent items the worker's code had taken by then, and which its task held.
      if (!Array.isArray(m.q)) return;
      const key = recordOf(peer).key;
      for (const one of m.q as unknown[]) {
        if (!Array.isArray(one) || typeof one[0] !== 'number' || typeof one[1] !== 'number') continue;
        const held = one.slice(2).filter((n): n is number => Number.isInteger(n) && (n as number) >= -1);
        try { objects.get(one[0])?.state.taskEnded?.(key, one[1], held); } catch { /* one broken object must not block the others */ }
      }
      return;
    }
    case 'x': {
      if (typeof m.r !== 'number') return;
      const reply = recordOf(peer).parked.get(m.r);
      if (reply) cancel(reply);
      return;
    }
    case 'q': {
      if (typeof m.r !== 'number') return; // no request id: nothing to answer
      const reply = remoteReply(peer, recordOf(peer), m.r, m.t);
      if (typeof m.o !== 'number' || typeof m.op !== 'string') {
        reply.fail(invalidArg(TypeError, `Malformed hub request: expected a numeric object id and a string operation, got ${show(m.o)} and ${show(m.op)}`));
        return;
      }
      dispatch(m.o, m.op, Array.isArray(m.a) ? m.a : [], reply);
      return;
    }
    default: /* not a hub request: ignore, as the pool ignores unknown events */
  }
}

/** `task`: the calling task, named only by a worker that runs several at once (see Reply.holder). */
function remoteReply(peer: HubPeer, rec: PeerRecord, r: number, task: unknown): Reply {
  let done = false;
  const reply: Reply = {
    caller: rec.key,
    holder: typeof task === 'number' && task > 0 ? `${rec.key} task ${task}` : rec.key,
    onCancel: undefined,
    ok(value, onLost, onDelivered) {
      if (done) return;
      done = true;
      rec.parked.delete(r);
      if (!onLost) return post(peer, rec, { k: 'r', r, v: value });
      // Answered after its worker was gone (nothing else can receive it): straight back.
      if (rec.gone) return onLost();
      // Keep the item recoverable until the worker confirms it arrived: if the
      // worker dies first, onLost puts it back, so it is neither lost nor
      // delivered twice (the worker acknowledges before its code sees the item).
      const d = nextDelivery++;
      deliveries.set(d, { peer: rec.key, onLost, onDelivered });
      post(peer, rec, { k: 'r', r, v: value, d });
    },
    fail(error) {
      if (done) return;
      done = true;
      rec.parked.delete(r);
      post(peer, rec, { k: 'e', r, e: toWireError(error) });
    },
  };
  rec.parked.set(r, reply);
  return reply;
}

function silentReply(caller: string): Reply {
  return { caller, holder: caller, onCancel: undefined, ok() {}, fail() {} };
}

/** True while worker `key` is alive (answers to it can still arrive). */
export function peerAlive(key: string): boolean { return byKey.has(key); }

/**
 * Tells worker `key` something about object `o` unasked (a Queue asking for
 * its read-ahead back, a Pipe end closing). Sent in order with the answers of
 * this turn; dropped if the worker is gone.
 */
export function notify(key: string, o: number, v: unknown): void {
  const live = byKey.get(key);
  if (live) post(live.peer, live.rec, { k: 'o', o, v });
}

function giveBack(d: number): void {
  const delivery = deliveries.get(d);
  if (!delivery) return;
  deliveries.delete(d);
  delivery.onLost();
}

/** Queues an answer; the first of a turn schedules the send at the end of the turn. */
function post(peer: HubPeer, rec: PeerRecord, answer: HubAnswer): void {
  if (rec.outbox.push(answer) === 1) queueMicrotask(() => flush(peer, rec));
}

function flush(peer: HubPeer, rec: PeerRecord): void {
  const batch = rec.outbox;
  rec.outbox = [];
  if (batch.length === 0) return;
  try {
    peer.send(batch.length === 1 ? batch[0]! : { k: 'b', m: batch });
  } catch {
    // The channel is gone (the worker is exiting): items on their way go back
    // now (peerGone, which follows, finds nothing more to return for them).
    for (const a of batch) if (a.k === 'r' && a.d !== undefined) giveBack(a.d);
  }
}

/**
 * Worker `peer` exited. Called by the pool after every message it sent was
 * delivered. `died`: it crashed or was killed mid-work; a worker recycled, or
 * stopped by its pool's close or terminate, did not die (a JoinableQueue puts
 * back the items a worker held only when it died).
 */
export function peerGone(peer: HubPeer, died: boolean): void {
  const rec = peers.get(peer);
  // A worker that never used a shared object has nothing to clean up.
  if (rec === undefined) return;
  const key = rec.key;
  peers.delete(peer);
  rec.gone = true;
  byKey.delete(key);
  rec.parked.clear();
  // Answers not sent yet are dropped: a waiter's item among them goes back below.
  rec.outbox = [];
  // Waiters first, so a returned item cannot be handed to the dead worker again.
  for (const [id, entry] of [...objects]) {
    try { entry.state.peerGone(key, died); } catch { /* one broken object must not block the others */ }
    if (entry.orphan && entry.state.idle?.()) unregister(id, 'was garbage-collected');
  }
  dropTakeLog(key);
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

