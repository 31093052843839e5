/**
 * SharedDict: a string-keyed dictionary hosted by a Manager in the main
 * process. Each method is one atomic operation; values are copies.
 */
import { checkKey, dictEntriesOf } from '../options.js';
import { SharedObject, type Ref } from './ref.js';

export class SharedDict<V = unknown> extends SharedObject {
  /** @internal Use `manager.dict()`. */
  constructor(ref: Ref) { super(ref); }

  /** The value of `key`, or undefined. */
  async get(key: string): Promise<V | undefined> { return await this.op('get', checkKey(key, 'SharedDict.get()')) as V | undefined; }
  async set(key: string, value: V): Promise<void> { await this.op('set', checkKey(key, 'SharedDict.set()'), value); }
  async has(key: string): Promise<boolean> { return await this.op('has', checkKey(key, 'SharedDict.has()')) as boolean; }
  /** Removes `key`; false when it was not there. */
  async delete(key: string): Promise<boolean> { return await this.op('delete', checkKey(key, 'SharedDict.delete()')) as boolean; }
  async keys(): Promise<string[]> { return await this.op('keys') as string[]; }
  async values(): Promise<V[]> { return await this.op('values') as V[]; }
  async entries(): Promise<[string, V][]> { return await this.op('entries') as [string, V][]; }
  /** Sets every entry of `source` in one atomic step (all or nothing). */
  async update(source: Record<string, V> | Map<string, V> | Iterable<readonly [string, V]>): Promise<void> {
    // The same check as manager.dict(source), here where the user called, so
    // a bad source fails with a message naming it and changes nothing.
    await this.op('update', dictEntriesOf(source, 'SharedDict.update()'));
  }
  /** Python's `setdefault`: sets `key` to `value` only if missing; returns the value now stored. */
  async setDefault(key: string, value: V): Promise<V> { return await this.op('setDefault', checkKey(key, 'SharedDict.setDefault()'), value) as V; }
  async size(): Promise<number> { return await this.op('size') as number; }
  /** A plain-object copy of the whole dict. */
  async toObject(): Promise<Record<string, V>> { return await this.op('toObject') as Record<string, V>; }
}
