/**
 * SharedList: a list hosted by a Manager in the main process. In a worker it
 * is a proxy; every method is one atomic operation applied in the main
 * process. Items go in and come out as copies (see docs/manager.md: change a
 * nested object by reading it, changing the copy, and `set`ting it back).
 */
import { SharedObject, type Ref } from './ref.js';
import { itemsOf } from '../options.js';

/** Items fetched per round trip while iterating, so iteration never copies a huge list at once. */
const ITERATION_PAGE = 256;

export class SharedList<T = unknown> extends SharedObject {
  /** @internal Use `manager.list()`. */
  constructor(ref: Ref) { super(ref); }

  /** Adds `item` at the end. */
  async append(item: T): Promise<void> { await this.op('append', item); }
  /** Adds every item of `items` at the end, in one atomic step. */
  async extend(items: Iterable<T>): Promise<void> {
    // A value that is not iterable is refused, as Python's extend refuses it.
    await this.op('extend', itemsOf(items, 'SharedList.extend()'));
  }
  /** The item at `index` (negative counts from the end). Out of range is a RangeError. */
  async get(index: number): Promise<T> { return await this.op('get', index) as T; }
  /** Replaces the item at `index` (negative counts from the end). */
  async set(index: number, item: T): Promise<void> { await this.op('set', index, item); }
  /** Removes and returns the item at `index` (default: the last). RangeError when empty. */
  async pop(index?: number): Promise<T> { return await this.op('pop', index) as T; }
  /** Inserts before `index`; like Python, an index past either end inserts at that end. */
  async insert(index: number, item: T): Promise<void> { await this.op('insert', index, item); }
  /** Removes the first item deeply equal to `item`; false when there is none. */
  async remove(item: T): Promise<boolean> { return await this.op('remove', item) as boolean; }
  /** Index of the first item deeply equal to `item`, or -1. */
  async index(item: T): Promise<number> { return await this.op('index', item) as number; }
  async length(): Promise<number> { return await this.op('length') as number; }
  /** A copy of `[start, end)`, with Array#slice's meaning of negative and missing bounds. */
  async slice(start?: number, end?: number): Promise<T[]> { return await this.op('slice', start, end) as T[]; }
  /** A copy of the whole list. */
  async toArray(): Promise<T[]> { return await this.op('toArray') as T[]; }

  /**
   * Iterates page by page. Like Python's list proxy, items added or removed
   * during iteration may be seen or skipped; take `toArray()` for a snapshot.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (let i = 0; ; i += ITERATION_PAGE) {
      const page = await this.slice(i, i + ITERATION_PAGE);
      yield* page;
      if (page.length < ITERATION_PAGE) return;
    }
  }
}
