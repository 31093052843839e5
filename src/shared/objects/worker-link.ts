/**
 * The worker side of the hub: proxies send requests to the main process and
 * await the answer by request id. Blocking calls (a `get` on an empty Queue)
 * simply stay pending here; their timeouts run in the hub, so there is one
 * decision about "got it" versus "gave up".
 *
 * Requests made in one synchronous turn (a producer's window of puts) leave
 * together as one batch at the end of the turn (a microtask, so no added
 * latency). Acknowledgements never wait: they are written before the code
 * that asked for the item can run (see `receive`).
 */
import { DataCloneError, InvalidStateError } from '../../errors.js';
import { rebuildError, WaitCancelledError } from '../errors.js';
import type { HubAnswer, HubRequest } from '../messages.js';

interface Pending { resolve(v: unknown): void; reject(e: unknown): void; signal: AbortSignal | undefined }

let send: ((m: HubRequest) => void) | undefined;
const pending = new Map<number, Pending>();
let nextRequest = 1;
/** Requests of this turn, not sent yet. */
let outbox: HubRequest[] = [];

/** True inside a forkpool worker (after the worker entry attached the hub). */
export function inWorker(): boolean { return send !== undefined; }

export function attach(sender: (m: unknown) => void): { receive(message: unknown): void } {
  send = sender;
  return { receive };
}

function enqueue(m: HubRequest): void {
  if (outbox.push(m) === 1) queueMicrotask(flush);
}

/** Sends this turn's requests: one message, or one batch. */
function flush(): void {
  const batch = outbox;
  if (batch.length === 0) return;
  outbox = [];
  try {
    send!(batch.length === 1 ? batch[0]! : { k: 'b', m: batch });
  } catch {
    // The serializer refused something (a function in an argument, say): send
    // them one by one, so only the calls it refuses fail.
    for (const m of batch) sendAlone(m);
  }
}

function sendAlone(m: HubRequest): void {
  try {
    send!(m);
  } catch (err) {
    if (m.k !== 'q') throw err;
    const p = pending.get(m.r);
    pending.delete(m.r);
    p?.reject(new DataCloneError(`the arguments of ${m.op}()`, err));
  }
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
    enqueue({ k: 'q', r, o, op, a });
  });
  if (signal) {
    const onAbort = (): void => { if (pending.has(r)) enqueue({ k: 'x', r }); };
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => signal.removeEventListener('abort', onAbort);
    p.then(cleanup, cleanup);
  }
  return p;
}

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
  const p = pending.get(m.r);
  if (!p) return;
  pending.delete(m.r);
  if (m.k === 'r') {
    if (m.d !== undefined) outbox.push({ k: 'ack', d: m.d });
    p.resolve(m.v);
  } else if (m.e.code === WaitCancelledError.code && p.signal) {
    p.reject(p.signal.reason);
  } else {
    p.reject(rebuildError(m.e));
  }
}
