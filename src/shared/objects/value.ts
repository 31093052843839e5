/** SharedValue: one value hosted by a Manager, with atomic `add` and `compareAndSet`. */
import { SharedObject, type Ref } from './ref.js';

export class SharedValue<T = unknown> extends SharedObject {
  /** @internal Use `manager.value(initial)`. */
  constructor(ref: Ref) { super(ref); }

  async get(): Promise<T> { return await this.op('get') as T; }
  async set(value: T): Promise<void> { await this.op('set', value); }
  /** Adds `n` atomically (numbers or bigints) and returns the new value. */
  async add(n: T extends bigint ? bigint : number): Promise<T> { return await this.op('add', n) as T; }
  /** Sets `next` only if the value deeply equals `expected`; true when it did. */
  async compareAndSet(expected: T, next: T): Promise<boolean> { return await this.op('compareAndSet', expected, next) as boolean; }
}
