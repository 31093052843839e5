/**
 * The state behind a Barrier (Python's threading.Barrier): `parties` callers
 * wait, then all go on together. A party that times out, dies or aborts breaks
 * the barrier for everyone, so no party is left waiting for one that will
 * never come.
 */
import { BrokenBarrierError, WaitCancelledError } from '../errors.js';
import { checkTimeout, unknownOp } from '../options.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';

export class BarrierState implements HubObject {
  readonly label: string;
  readonly #parties: number;
  #broken: string | undefined;
  readonly #waiting = new Waiters<Reply>();

  constructor(id: number, parties: number) {
    this.label = `Barrier #${id}`;
    this.#parties = parties;
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'wait': {
        const timeout = checkTimeout(a[0], `${this.label}.wait()`);
        if (this.#broken) throw this.#error();
        // Python's index: arrival order, 0 for the first to arrive.
        const index = this.#waiting.length;
        if (index + 1 === this.#parties) {
          const all = this.#waiting.drain();
          all.forEach((w, i) => w.ok(i));
          return reply.ok(index);
        }
        return this.#waiting.add(reply, timeout, (r) => {
          this.#break(`${r.caller} waited longer than its timeout of ${timeout} ms`);
          r.fail(this.#error());
        }, reply, (r) => {
          // A party that leaves would be waited for forever: break, as for a timeout.
          this.#break(`${r.caller} stopped waiting (its AbortSignal fired)`);
          r.fail(new WaitCancelledError('the wait was cancelled'));
        });
      }
      case 'reset': {
        // Python: parties waiting during a reset get BrokenBarrierError; the barrier is usable again.
        this.#break('it was reset while parties were waiting');
        this.#broken = undefined;
        return reply.ok(undefined);
      }
      case 'abort': this.#break('abort() was called'); return reply.ok(undefined);
      case 'nWaiting': return reply.ok(this.#waiting.length);
      case 'broken': return reply.ok(this.#broken !== undefined);
      default: unknownOp(this.label, op);
    }
  }

  #break(why: string): void {
    this.#broken ??= why;
    const err = this.#error();
    for (const w of this.#waiting.drain()) w.fail(err);
  }

  #error(): BrokenBarrierError {
    return new BrokenBarrierError(`${this.label} is broken: ${this.#broken}`);
  }

  peerGone(caller: string): void {
    if (this.#waiting.dropCaller(caller).length > 0) this.#break(`worker ${caller} died while waiting at it`);
  }

  dispose(error: Error): void {
    for (const w of this.#waiting.drain()) w.fail(error);
  }
}
