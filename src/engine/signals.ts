/**
 * One abort listener per AbortSignal, however many tasks share it: a large
 * map with one signal has hundreds of chunks, and a listener each would leak
 * (and trigger MaxListenersExceededWarning).
 */
import type { Task } from './task.js';

interface Group {
  tasks: Set<Task>;
  off(): void;
}

export class AbortGroups {
  readonly #groups = new WeakMap<AbortSignal, Group>();

  constructor(private readonly onAbort: (task: Task) => void) {}

  /** Aborts `task` when `signal` fires; `task.removeAbortListener` undoes it (called when it settles). */
  watch(task: Task, signal: AbortSignal): void {
    let group = this.#groups.get(signal);
    if (!group) {
      const listener = () => {
        this.#groups.delete(signal);
        for (const t of [...created.tasks]) this.onAbort(t);
      };
      const created: Group = { tasks: new Set(), off: () => signal.removeEventListener('abort', listener) };
      signal.addEventListener('abort', listener, { once: true });
      this.#groups.set(signal, created);
      group = created;
    }
    const g = group;
    g.tasks.add(task);
    task.removeAbortListener = () => {
      g.tasks.delete(task);
      if (g.tasks.size === 0 && this.#groups.get(signal) === g) {
        this.#groups.delete(signal);
        g.off();
      }
    };
  }
}
