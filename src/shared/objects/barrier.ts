/**
 * Barrier (Python's `Barrier`): `parties` callers wait until all have arrived.
 * When a party times out, dies or calls `abort()`, the barrier breaks and
 * every waiter (and later caller, until `reset()`) gets BrokenBarrierError.
 */
import type { WaitOptions } from '../options.js';
import { SharedObject, type Ref } from './ref.js';

export class Barrier extends SharedObject {
  /** @internal Use `manager.barrier(parties)`. */
  constructor(ref: Ref) { super(ref); }

  /** Number of parties needed to pass. */
  get parties(): number { return this.info.parties as number; }

  /** Waits for all parties; resolves with this caller's arrival index, 0 to parties-1. */
  async wait(options?: WaitOptions): Promise<number> {
    return await this.waiting('wait', 'Barrier.wait()', options) as number;
  }
  /** Back to the empty, unbroken state; parties waiting now get BrokenBarrierError. */
  async reset(): Promise<void> { await this.op('reset'); }
  /** Breaks the barrier: waiters and later callers get BrokenBarrierError until `reset()`. */
  async abort(): Promise<void> { await this.op('abort'); }
  async nWaiting(): Promise<number> { return await this.op('nWaiting') as number; }
  async broken(): Promise<boolean> { return await this.op('broken') as boolean; }
}
