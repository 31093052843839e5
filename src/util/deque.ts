/**
 * A double-ended FIFO with O(1) push, shift and unshift: a ring buffer whose
 * capacity is a power of two, so wrapping is a mask, not a division. Plain
 * `Array#shift` is O(n), which would turn a 100,000-item queue quadratic.
 * Used by the pool's task queue and by the hub's Queue and Pipe buffers.
 */
/** Capacity past which an emptied deque drops its array. */
const SHRINK_ABOVE = 1024;

export class Deque<T> {
  #items: (T | undefined)[] = new Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item;
    this.#length++;
  }

  /** Puts an item back at the front (a task given back, an item whose getter died). */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  peek(): T | undefined {
    return this.#length ? this.#items[this.#head] : undefined;
  }

  shift(): T | undefined {
    if (!this.#length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    // Emptied after a burst: give the big array back, so memory follows the live size.
    if (--this.#length === 0 && this.#items.length > SHRINK_ABOVE) this.#reset();
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.#length) out.push(this.shift()!);
    this.#reset();
    return out;
  }

  #reset(): void {
    this.#items = new Array(16);
    this.#head = 0;
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & (old.length - 1)];
    this.#items = next;
    this.#head = 0;
  }
}
