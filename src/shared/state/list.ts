/** The state behind a SharedList: a plain array, changed only here. */
import { isDeepStrictEqual } from 'node:util';
import { invalidArg } from '../../errors.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { checkInt, unknownOp } from '../options.js';

export class ListState implements HubObject {
  readonly label: string;
  #items: unknown[];

  /** `items`: initial contents, already copied (manager.list(items)). */
  constructor(id: number, items: unknown[] = []) {
    this.label = `SharedList #${id}`;
    this.#items = items;
  }

  call(op: string, a: unknown[], reply: Reply): void {
    const items = this.#items;
    switch (op) {
      case 'append': items.push(a[0]); return reply.ok(undefined);
      case 'extend':
        if (!Array.isArray(a[0])) throw invalidArg(TypeError, `${this.label}.extend() expects an iterable`);
        for (const x of a[0]) items.push(x);
        return reply.ok(undefined);
      case 'get': return reply.ok(items[this.#at(a[0], 'get')]);
      case 'set': items[this.#at(a[0], 'set')] = a[1]; return reply.ok(undefined);
      case 'pop': {
        if (items.length === 0) throw invalidArg(RangeError, `pop() from an empty ${this.label}`);
        const i = a[0] === undefined ? items.length - 1 : this.#at(a[0], 'pop');
        return reply.ok(items.splice(i, 1)[0]);
      }
      case 'insert': {
        // Python's insert clamps out-of-range indexes instead of failing.
        let i = checkInt(a[0], 'index', `${this.label}.insert()`);
        if (i < 0) i = Math.max(0, items.length + i);
        items.splice(Math.min(i, items.length), 0, a[1]);
        return reply.ok(undefined);
      }
      case 'remove': {
        const i = this.#find(a[0]);
        if (i >= 0) items.splice(i, 1);
        return reply.ok(i >= 0);
      }
      case 'index': return reply.ok(this.#find(a[0]));
      case 'length': return reply.ok(items.length);
      case 'slice': return reply.ok(items.slice(opt(a[0], 'start', this.label), opt(a[1], 'end', this.label)));
      case 'toArray': return reply.ok(items.slice());
      default: unknownOp(this.label, op);
    }
  }

  /** Normalises a Python-style index (negative counts from the end); out of range is an error, not `undefined`. */
  #at(v: unknown, what: string): number {
    const n = checkInt(v, 'index', `${this.label}.${what}()`);
    const i = n < 0 ? this.#items.length + n : n;
    if (i < 0 || i >= this.#items.length) {
      throw invalidArg(RangeError, `Index ${n} is out of range for ${this.label} of length ${this.#items.length} (${what})`);
    }
    return i;
  }

  #find(v: unknown): number {
    return this.#items.findIndex((x) => isDeepStrictEqual(x, v));
  }

  peerGone(): void { /* a list holds nothing on behalf of a worker */ }
  dispose(): void { this.#items = []; }
}

function opt(v: unknown, name: string, label: string): number | undefined {
  return v === undefined ? undefined : checkInt(v, name, `${label}.slice()`);
}
