/**
 * The worker side of the hub: proxies send requests to the main process and
 * await the answer by request id. Blocking calls (a `get` on an empty Queue)
 * simply stay pending here; their timeouts run in the hub, so there is one
 * decision about "got it" versus "gave up".
 *
 * Requests made in one synchronous turn (a producer's window of puts) leave
 * together as one batch at the end of the turn (a microtask, so no added
 * latency, and always before the task's result: a put the task did not await
 * still reaches the hub before the pool hears the task is done).
 * Acknowledgements never wait: they are written before the code that asked
 * for the item can run (see `receive`).
 */
import { DataCloneError, InvalidStateError } from '../../errors.js';
import { workerState } from '../../worker/task-context.js';
import { rebuildError, WaitCancelledError } from '../errors.js';
import type { HubAnswer, HubRequest } from '../messages.js';

interface Pending { resolve(v: unknown): void; reject(e: unknown): void; signal: AbortSignal | undefined }
interface Settle { resolve(v: unknown): void; reject(e: unknown): void }
/**
 * A message of this turn; `sent` settles once it is written (or refused by
 * the serializer). `joined`: a request that consecutive calls join (see
 * `requestJoined`), one caller per item of `m.a[0]`.
 */
interface Outgoing {
  m: HubRequest;
  sent?: { resolve(): void; reject(e: unknown): void };
  joined?: { readonly single: string; readonly callers: Settle[] };
}

let send: ((m: HubRequest) => void) | undefined;
const pending = new Map<number, Pending>();
/** What each object's proxies do with a notice from the hub (`{k:'o'}`), by object id. */
const noticeHandlers = new Map<number, (v: unknown) => void>();
let nextRequest = 1;
/** The task whose code runs now (0: none); set by the worker entry (see `attach`). */
let taskOf: () => number = () => 0;
/** Whether requests name their task: only a worker running several at once needs it. */
let namesTask = false;
/** Requests of this turn, not sent yet. */
let outbox: Outgoing[] = [];

/** Where the worker entry keeps this worker's id (worker/task-context.ts); a registered symbol, so every copy of this module sees it. */
const WORKER_STATE = Symbol.for('forkpool.worker.state');

/**
 * True inside a forkpool worker: once the worker entry attached the hub, and
 * before that too. The worker loads the hub only when a task brings a shared
 * object, and a `new Queue()` made before then must still be refused, not
 * become a main-process object of the worker's own that nobody else can reach.
 */
export function inWorker(): boolean {
  return send !== undefined || (globalThis as Record<symbol, { workerId?: number } | undefined>)[WORKER_STATE]?.workerId !== undefined;
}

/**
 * `runningTask`: the task whose code runs now (0: none), for a JoinableQueue's
 * per-task accounts (queue-feed.ts). With several tasks at once
 * (`concurrent`), each request also names it, so the hub tells their locks
 * apart (`Reply.holder`).
 */
export function attach(sender: (m: unknown) => void, runningTask: () => number, concurrent: boolean): { receive(message: unknown): void } {
  send = sender;
  taskOf = runningTask;
  namesTask = concurrent;
  return { receive };
}

/** The task whose code runs now in this worker (0: none, or not in a worker). */
export function runningTask(): number { return taskOf(); }

function enqueue(o: Outgoing): void {
  if (outbox.push(o) === 1) queueMicrotask(flush);
}

/**
 * Sends this turn's requests now, not at the end of the turn: for a request
 * that must reach the hub even if the worker dies before the turn ends
 * (a Pipe end's `take`, see pipe.ts). The worker's channel writes synchronously.
 */
export function flushNow(): void { if (send) flush(); }

/** Sends this turn's requests: one message, or one batch. */
function flush(): void {
  const batch = outbox;
  if (batch.length === 0) return;
  outbox = [];
  try {
    send!(batch.length === 1 ? batch[0]!.m : { k: 'b', m: batch.map((o) => o.m) });
  } catch {
    // The serializer refused something (a function in an argument, say): send
    // them one by one, so only the calls it refuses fail.
    for (const o of batch) sendAlone(o);
    return;
  }
  for (const o of batch) o.sent?.resolve();
}

/** What a call to a shared object crosses from this worker, for DataCloneError's message. */
function between(): 'processes' | 'threads' {
  return workerState().runtime === 'thread' ? 'threads' : 'processes';
}

function sendAlone(o: Outgoing): void {
  const m = o.m;
  try {
    send!(m);
  } catch (err) {
    if (o.joined && m.k === 'q') return split(m, o.joined);
    if (o.sent && m.k === 'n') return o.sent.reject(new DataCloneError(`the arguments of ${m.op}()`, err, between()));
    if (m.k !== 'q') throw err;
    const p = pending.get(m.r);
    pending.delete(m.r);
    p?.reject(new DataCloneError(`the arguments of ${m.op}()`, err, between()));
    return;
  }
  o.sent?.resolve();
}

/**
 * Sends one operation on object `o` to the hub and resolves with its answer.
 *
 * When `signal` fires, the hub is asked to withdraw the call, and the promise
 * still waits for the hub's answer: either the call was withdrawn (reject with
 * the signal's reason) or it had already completed (its real result stands).
 * Rejecting at once instead could drop a Queue item or a lock grant that is
 * already on its way here.
 */
export function request(o: number, op: string, a: unknown[], signal?: AbortSignal): Promise<unknown> {
  if (!send) return Promise.reject(new InvalidStateError('forkpool: shared-object proxy used outside a worker'));
  if (signal?.aborted) return Promise.reject(signal.reason);
  const r = nextRequest++;
  const p = new Promise((resolve, reject) => {
    pending.set(r, { resolve, reject, signal });
    const t = namesTask ? taskOf() : 0;
    enqueue({ m: t ? { k: 'q', r, o, op, a: trimmed(a), t } : { k: 'q', r, o, op, a: trimmed(a) } });
  });
  if (signal) {
    const onAbort = (): void => { if (pending.has(r)) enqueue({ m: { k: 'x', r } }); };
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => signal.removeEventListener('abort', onAbort);
    p.then(cleanup, cleanup);
  }
  return p;
}

/**
 * One call of `op` on `o` with one `item`, joining the previous call if it was
 * the same operation on the same object in this turn: the hub gets one
 * request `joinedOp([items])` and answers all of them at once. Only for
 * operations where that is the same as applying them one by one, in order
 * (puts on an unbounded Queue). If the serializer refuses the joined message,
 * each item is sent alone as `single(item)`, so only the calls it refuses fail.
 */
export function requestJoined(o: number, joinedOp: string, single: string, item: unknown): Promise<unknown> {
  if (!send) return Promise.reject(new InvalidStateError('forkpool: shared-object proxy used outside a worker'));
  return new Promise((resolve, reject) => {
    const last = outbox[outbox.length - 1];
    if (last?.joined && last.m.k === 'q' && last.m.o === o && last.m.op === joinedOp) {
      (last.m.a[0] as unknown[]).push(item);
      last.joined.callers.push({ resolve, reject });
      return;
    }
    const r = nextRequest++;
    const callers: Settle[] = [{ resolve, reject }];
    pending.set(r, {
      resolve: (v) => { for (const c of callers) c.resolve(v); },
      reject: (e) => { for (const c of callers) c.reject(e); },
      signal: undefined,
    });
    enqueue({ m: { k: 'q', r, o, op: joinedOp, a: [[item]] }, joined: { single, callers } });
  });
}

/** A joined request the serializer refused: its items go one by one, in place. */
function split(m: Extract<HubRequest, { k: 'q' }>, joined: { single: string; callers: Settle[] }): void {
  pending.delete(m.r);
  const items = m.a[0] as unknown[];
  items.forEach((item, i) => {
    const r = nextRequest++;
    pending.set(r, { ...joined.callers[i]!, signal: undefined });
    sendAlone({ m: { k: 'q', r, o: m.o, op: joined.single, a: [item] } });
  });
}

/**
 * Sends operation `op` without asking for an answer; resolves once it is
 * written to the channel (Python's `Connection.send` returns then too), and
 * rejects with DataCloneError if its arguments cannot be copied. Only for
 * operations whose outcome the caller already knows.
 */
export function post(o: number, op: string, a: unknown[]): Promise<void> {
  if (!send) return Promise.reject(new InvalidStateError('forkpool: shared-object proxy used outside a worker'));
  return new Promise((resolve, reject) => enqueue({ m: { k: 'n', o, op, a: trimmed(a) }, sent: { resolve, reject } }));
}

/**
 * The arguments without their trailing undefineds (an unset timeout): the
 * hub reads arguments by position, so a missing one is the same, and the
 * message can then travel as JSON (protocol/compact-json.ts), which would
 * turn an undefined in an array into null.
 */
function trimmed(a: unknown[]): unknown[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === undefined) n--;
  return n === a.length ? a : a.slice(0, n);
}

/** Sends a message that is not a call (a take log), in order with this turn's calls. */
export function postRaw(m: HubRequest): void { enqueue({ m }); }

/** Routes the hub's notices about object `o` to `handler` (one per object and worker). */
export function onNotice(o: number, handler: (v: unknown) => void): void { noticeHandlers.set(o, handler); }

function receive(message: unknown): void {
  const m = message as HubAnswer;
  if (m.k === 'b') for (const one of m.m) settle(one);
  else settle(m);
  // Acknowledge before user code can see an item: settling only queued the
  // code that awaits it (microtasks), and this write happens first. If this
  // worker dies after this line, the item was delivered; before it, the hub
  // puts it back.
  flush();
}

function settle(m: HubAnswer): void {
  if (m.k === 'b') return;
  if (m.k === 'o') {
    // After the answers before it: those reach their callers as promise
    // reactions (microtasks queued as they settle), and a notice must not
    // overtake them (a reclaim would drop a buffer before the items the hub
    // sent ahead of it were even in it).
    const handler = noticeHandlers.get(m.o);
    if (handler) queueMicrotask(() => handler(m.v));
    return;
  }
  const p = pending.get(m.r);
  if (!p) return;
  pending.delete(m.r);
  if (m.k === 'r') {
    if (m.d !== undefined) outbox.push({ m: { k: 'ack', d: m.d } });
    p.resolve(m.v);
  } else if (m.e.code === WaitCancelledError.code && p.signal) {
    p.reject(p.signal.reason);
  } else {
    p.reject(rebuildError(m.e));
  }
}
