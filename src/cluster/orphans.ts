/**
 * Jobs of tasks the client gave up on while Redis was away longer than
 * `unavailableTimeout` (their tasks rejected with RedisConnectionError). Left
 * in Redis they would still run, and their outcomes would wait 24 h for a
 * reader that never comes. Once Redis is back they are removed: a waiting
 * job at once, so no node runs it; a running one (locked) when it has ended,
 * with its stored result. Retried every RETRY_MS while any is left, and
 * never blocking the pool: it is best effort, the 24 h TTL stays the backstop.
 */
import type { ClientLink } from './link.js';

/** A job still running on its node is tried again this often. */
const RETRY_MS = 5_000;

export class OrphanJobs {
  readonly #link: () => ClientLink | undefined;
  readonly #ids = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #collecting = false;
  #stopped = false;

  constructor(link: () => ClientLink | undefined) {
    this.#link = link;
  }

  get size(): number { return this.#ids.size; }

  add(ids: readonly string[]): void {
    for (const id of ids) this.#ids.add(id);
  }

  /** After a reconnect (and then every RETRY_MS while some are left). */
  async collect(): Promise<void> {
    const link = this.#link();
    if (!link || this.#collecting || this.#stopped || this.#ids.size === 0) return;
    this.#collecting = true;
    try {
      const ids = [...this.#ids];
      // Finished ones may hold a result under its own key: it goes with them.
      const finished = await link.finished(ids);
      const refs = new Map(finished.filter((f) => f.ref).map((f) => [f.id, f.ref!]));
      for (const id of ids) {
        // BullMQ refuses to remove a locked (running) job: it stays listed for the next try.
        if (!await link.tryRemove(id)) continue;
        this.#ids.delete(id);
        const ref = refs.get(id);
        if (ref) await link.remove([], [ref]);
      }
    } catch {
      // Redis away again: the next reconnect tries again.
    } finally {
      this.#collecting = false;
    }
    if (this.#ids.size > 0 && !this.#stopped) {
      clearTimeout(this.#timer);
      // Unref'd: leftovers never keep the process alive.
      this.#timer = setTimeout(() => void this.collect(), RETRY_MS).unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
