/**
 * Callers waiting for one event (every worker ready, a node live): each gets
 * a promise, and the event, or the reason it will never come, settles them all.
 */
export class Waiters {
  #waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  get size(): number {
    return this.#waiting.length;
  }

  resolveAll(): void {
    for (const w of this.#waiting.splice(0)) w.resolve();
  }

  rejectAll(err: Error): void {
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }
}
