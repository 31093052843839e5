/** The state behind an Event: a flag that waiters block on until it is set. */
import { checkTimeout, unknownOp } from '../options.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';

export class EventState implements HubObject {
  readonly label: string;
  #flag = false;
  readonly #waiters = new Waiters<Reply>();

  constructor(id: number) { this.label = `Event #${id}`; }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'set':
        this.#flag = true;
        for (const w of this.#waiters.drain()) w.ok(true);
        return reply.ok(undefined);
      case 'clear': this.#flag = false; return reply.ok(undefined);
      case 'isSet': return reply.ok(this.#flag);
      case 'wait': {
        const timeout = checkTimeout(a[0], `${this.label}.wait()`);
        if (this.#flag) return reply.ok(true);
        if (timeout === 0) return reply.ok(false);
        return this.#waiters.add(reply, timeout, (r) => r.ok(false), reply);
      }
      default: unknownOp(this.label, op);
    }
  }

  peerGone(caller: string): void { this.#waiters.dropCaller(caller); }

  dispose(error: Error): void {
    for (const w of this.#waiters.drain()) w.fail(error);
  }
}
