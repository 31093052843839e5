/**
 * The worker side of the hub: proxies send requests to the main process and
 * await the answer by request id. Blocking calls (a `get` on an empty Queue)
 * simply stay pending here; their timeouts run in the hub, so there is one
 * decision about "got it" versus "gave up".
 */
import { DataCloneError, InvalidStateError } from '../errors.js';
import { rebuildError, WaitCancelledError } from './errors.js';
import type { HubAnswer, HubRequest } from './messages.js';

interface Pending { resolve(v: unknown): void; reject(e: unknown): void; signal: AbortSignal | undefined }

let send: ((m: HubRequest) => void) | undefined;
const pending = new Map<number, Pending>();
let nextRequest = 1;

/** True inside a forkpool worker (after the worker entry attached the hub). */
export function inWorker(): boolean { return send !== undefined; }

export function attach(sender: (m: unknown) => void): { receive(message: unknown): void } {
  send = sender;
  return { receive };
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
    try {
      send!({ k: 'q', r, o, op, a });
    } catch (err) {
      // The serializer refused an argument (a function, say): fail this call alone.
      pending.delete(r);
      reject(new DataCloneError(`the arguments of ${op}()`, err));
    }
  });
  if (signal) {
    const onAbort = (): void => { if (pending.has(r)) send!({ k: 'x', r }); };
    signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => signal.removeEventListener('abort', onAbort);
    p.then(cleanup, cleanup);
  }
  return p;
}

function receive(message: unknown): void {
  const m = message as HubAnswer;
  const p = pending.get(m.r);
  if (!p) return;
  pending.delete(m.r);
  if (m.k === 'r') {
    // Acknowledge before user code can see the item: if this worker dies after
    // this line, the item was delivered; before it, the hub puts it back.
    if (m.d !== undefined) send!({ k: 'ack', d: m.d });
    p.resolve(m.v);
  } else if (m.e.code === WaitCancelledError.code && p.signal) {
    p.reject(p.signal.reason);
  } else {
    p.reject(rebuildError(m.e));
  }
}
