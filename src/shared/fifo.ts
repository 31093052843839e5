/**
 * A first-in first-out buffer with O(1) `shift`. Plain `Array#shift` is O(n),
 * which turns a 100,000-item Queue into a quadratic one.
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number { return this.#items.length - this.#head; }

  push(item: T): void { this.#items.push(item); }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head]!;
    (this.#items as (T | undefined)[])[this.#head] = undefined;
    this.#head++;
    // Compact once the dead prefix dominates, so memory follows the live size.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Puts an item back at the front (an item whose getter died before receiving it). */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  clear(): T[] {
    const rest = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
