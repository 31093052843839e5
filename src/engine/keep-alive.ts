/**
 * The one handle that keeps this process alive while a pool has work.
 *
 * Worker handles (a child's process and pipes, a thread and its port) are
 * unref'd once, at spawn. Toggling their refs at every idle↔busy turn cost
 * ten native calls per call with two process workers, the first thing a
 * profile of a cold round trip showed among the engine's own code. Whether
 * the pool holds the process open is now one timer's ref.
 */
// The longest delay a Node timer takes: it fires a no-op about every 24.8 days.
const FOREVER_MS = 2 ** 31 - 1;
const noop = () => {};

export class KeepAlive {
  #timer: NodeJS.Timeout | undefined;
  #on = false;

  set(on: boolean): void {
    if (on === this.#on) return;
    this.#on = on;
    if (on) (this.#timer ??= setInterval(noop, FOREVER_MS)).ref();
    else this.#timer?.unref();
  }

  /** The pool has ended: drop the timer (unref'd or not, it is one handle per pool). */
  dispose(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#on = false;
  }
}
