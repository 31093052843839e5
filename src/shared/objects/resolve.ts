/**
 * Turns a handle back into a live object, and installs that as the codec's
 * resolver. In a worker: a proxy (one per object, cached, so a Queue passed
 * to many tasks is one proxy). In the main process: the object itself, or a
 * rebuilt one if it was collected.
 *
 * This is the only module that knows every public class, so the classes never
 * import it and the codec never imports them: loaded by `link.ts` and
 * `index.ts`, before any handle is decoded.
 */
import { markActive, setResolver, TAG, type Handle, type Kind } from '../codec.js';
import * as hub from '../hub/hub.js';
import { Barrier } from './barrier.js';
import { Condition } from './condition.js';
import { SharedDict } from './dict.js';
import { Event } from './event.js';
import { SharedList } from './list.js';
import { Lock, RLock, Semaphore } from './locks.js';
import { Connection } from './pipe.js';
import { JoinableQueue, Queue } from './queue.js';
import { adopt, LocalRef, RemoteRef, type Ref, type SharedObject } from './ref.js';
import { SharedValue } from './value.js';
import { inWorker } from './worker-link.js';

/** A Map, not an object: a kind such as `constructor` must find nothing. */
const BUILDERS = new Map<Kind, (ref: Ref) => SharedObject>([
  ['list', (ref) => new SharedList(ref)],
  ['dict', (ref) => new SharedDict(ref)],
  ['value', (ref) => new SharedValue(ref)],
  ['lock', (ref) => new Lock(ref)],
  ['rlock', (ref) => new RLock(ref)],
  ['semaphore', (ref) => new Semaphore(ref)],
  ['event', (ref) => new Event(ref)],
  ['barrier', (ref) => new Barrier(ref)],
  ['condition', (ref) => new Condition(ref)],
  ['queue', (ref) => adopt(ref, () => new Queue())],
  ['joinable', (ref) => adopt(ref, () => new JoinableQueue())],
  ['conn', (ref) => new Connection(ref)],
]);

/** Remote proxies by handle, so one object passed to many tasks is one proxy in the worker. */
const proxies = new Map<string, WeakRef<SharedObject>>();

/** The two ends of a Pipe share an id; everything else is one object per id. */
function proxyKey(h: Handle): string {
  return h[TAG] === 'conn' ? `${h.id}/${String(h.x?.end)}` : String(h.id);
}

function build(h: Handle, ref: Ref): SharedObject {
  const make = BUILDERS.get(h[TAG]);
  // The codec only passes handles of known kinds; this guards the table itself.
  if (!make) throw new TypeError(`forkpool: unknown shared object kind ${JSON.stringify(h[TAG])}`);
  return make(ref);
}

setResolver((h) => {
  const info = h.x !== null && typeof h.x === 'object' ? h.x : {};
  if (inWorker()) {
    const key = proxyKey(h);
    const cached = proxies.get(key)?.deref();
    if (cached) return cached;
    markActive();
    const proxy = build(h, new RemoteRef(h.id, h[TAG], info));
    proxies.set(key, new WeakRef(proxy));
    return proxy;
  }
  // Pipe ends share one hub object, so only other kinds map one id to one object.
  const existing = h[TAG] === 'conn' ? undefined : hub.facadeOf(h.id);
  if (existing) return existing;
  // Either collected in the main process (rebuild it) or destroyed (calls will
  // then fail with ManagerShutdownError from the hub's tombstone).
  return build(h, new LocalRef(h.id, h[TAG], info));
});
