/**
 * Cleanup of objects nobody can reach any more. A standalone Queue or Pipe
 * has no Manager to shut it down, so its hub state is released once its
 * main-side object is garbage-collected (and, for a Queue, once it is closed
 * and empty, so items still being drained by workers are not thrown away).
 * A Manager that is collected without `shutdown()` is shut down the same way,
 * so nothing leaks from one pool to the next.
 */
import * as hub from './hub.js';

const standalone = new FinalizationRegistry<number>((id) => hub.orphan(id));
const managers = new FinalizationRegistry<Set<number>>((ids) => {
  for (const id of ids) hub.unregister(id, 'belongs to a Manager that was garbage-collected');
});

/** Returns a token to keep alive from every main-side object of hub object `id`. */
export function standaloneToken(id: number): object {
  const token = {};
  standalone.register(token, id);
  return token;
}

export function watchManager(manager: object, ids: Set<number>): void {
  managers.register(manager, ids, manager);
}

export function unwatchManager(manager: object): void {
  managers.unregister(manager);
}
