/**
 * The worker side of the hub: proxies send requests to the main process and
 * await the answer by request id. Blocking calls (a `get` on an empty Queue)
 * simply stay pending here; their timeouts run in the hub, so there is one
 * decision about "got it" versus "gave up".
 */
import { DataCloneError, InvalidStateError } from '../errors.js';
import { rebuildError } from './errors.js';
import type { HubAnswer, HubRequest } from './messages.js';

interface Pending { resolve(v: unknown): void; reject(e: Error): void }

let send: ((m: HubRequest) => void) | undefined;
const pending = new Map<number, Pending>();
let nextRequest = 1;

/** True inside a forkpool worker (after the worker entry attached the hub). */
export function inWorker(): boolean { return send !== undefined; }

export function attach(sender: (m: unknown) => void): { receive(message: unknown): void } {
  send = sender;
  return { receive };
}

/** Sends one operation on object `o` to the hub and resolves with its answer. */
export function request(o: number, op: string, a: unknown[]): Promise<unknown> {
  if (!send) return Promise.reject(new InvalidStateError('forkpool: shared-object proxy used outside a worker'));
  const r = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(r, { resolve, reject });
    try {
      send!({ k: 'q', r, o, op, a });
    } catch (err) {
      // The serializer refused an argument (a function, say): fail this call alone.
      pending.delete(r);
      reject(new DataCloneError(`the arguments of ${op}()`, err));
    }
  });
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
  } else {
    p.reject(rebuildError(m.e));
  }
}
