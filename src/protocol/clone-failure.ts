/**
 * DataCloneError for a value that could not be serialized, with V8's reason
 * made readable: V8 names a host object it cannot serialize by printing it
 * whole ("Unserializable host object: MessagePort [EventTarget] {" and some
 * twenty lines of its internals), which made a one-line error a page long.
 */
import { DataCloneError } from '../errors.js';

export function cloneFailure(what: string, err: unknown, between: 'processes' | 'threads'): DataCloneError {
  const message = err instanceof Error ? err.message : String(err);
  if (between === 'processes' && /MessagePort/.test(message)) {
    return new DataCloneError(what, new Error('a MessagePort only crosses between threads (use runtime: \'thread\')', { cause: err }), between);
  }
  if (between === 'threads' && /not listed in transferList/.test(message)) {
    return new DataCloneError(what, new Error(`${message} (a task moves a MessagePort or buffer with move(value, [it]); a caller, with the transfer option)`, { cause: err }), between);
  }
  const nl = message.indexOf('\n');
  if (nl < 0) return new DataCloneError(what, err, between);
  return new DataCloneError(what, new Error(`${message.slice(0, nl).replace(/ [\[{(]*$/, '')} …`, { cause: err }), between);
}
