/**
 * SharedDict: a string-keyed dictionary hosted by a Manager in the main
 * process. Each method is one atomic operation; values are copies.
 */
import { checkKey } from '../options.js';
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
  async update(source: Record<string, V> | Map<string, V> | Iterable<[string, V]>): Promise<void> {
    const entries = source instanceof Map || Symbol.iterator in Object(source)
      ? Array.from(source as Iterable<[string, V]>)
      : Object.entries(source as Record<string, V>);
    for (const [k] of entries) checkKey(k, 'SharedDict.update()');
    await this.op('update', entries);
  }
  /** Python's `setdefault`: sets `key` to `value` only if missing; returns the value now stored. */
  async setDefault(key: string, value: V): Promise<V> { return await this.op('setDefault', checkKey(key, 'SharedDict.setDefault()'), value) as V; }
  async size(): Promise<number> { return await this.op('size') as number; }
  /** A plain-object copy of the whole dict. */
  async toObject(): Promise<Record<string, V>> { return await this.op('toObject') as Record<string, V>; }
}
