/** Event (Python's `Event`): a flag that callers can wait on until it is set. */
import type { WaitOptions } from '../options.js';
import { SharedObject, type Ref } from './ref.js';

export class Event extends SharedObject {
  /** @internal Use `manager.event()`. */
  constructor(ref: Ref) { super(ref); }

  /** Sets the flag and wakes every waiter. */
  async set(): Promise<void> { await this.op('set'); }
  async clear(): Promise<void> { await this.op('clear'); }
  async isSet(): Promise<boolean> { return await this.op('isSet') as boolean; }
  /** Resolves `true` once the flag is set, `false` if `timeout` ran out first. */
  async wait(options?: WaitOptions): Promise<boolean> {
    return await this.waiting('wait', 'Event.wait()', options) as boolean;
  }
}
