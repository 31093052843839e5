/** The state behind a SharedValue: one value, with atomic add and compare-and-set. */
import { isDeepStrictEqual } from 'node:util';
import { invalidArg, show } from '../../errors.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { unknownOp } from '../options.js';

export class ValueState implements HubObject {
  readonly label: string;
  #value: unknown;

  constructor(id: number, initial: unknown) {
    this.label = `SharedValue #${id}`;
    this.#value = initial;
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'get': return reply.ok(this.#value);
      case 'set': this.#value = a[0]; return reply.ok(undefined);
      case 'add': {
        const cur = this.#value;
        const n = a[0];
        if (typeof cur === 'number' && typeof n === 'number') this.#value = cur + n;
        else if (typeof cur === 'bigint' && typeof n === 'bigint') this.#value = cur + n;
        else throw invalidArg(TypeError, `${this.label}.add(${show(n)}) needs a number (or a bigint) and the same type as the value, which is ${show(cur)}`);
        return reply.ok(this.#value);
      }
      case 'compareAndSet': {
        // Structural equality: values crossed by copy, so identity means nothing here.
        if (!isDeepStrictEqual(this.#value, a[0])) return reply.ok(false);
        this.#value = a[1];
        return reply.ok(true);
      }
      default: unknownOp(this.label, op);
    }
  }

  peerGone(): void { /* a value holds nothing on behalf of a worker */ }
  dispose(): void { this.#value = undefined; }
}
