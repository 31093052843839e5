/**
 * Read-ahead for a Queue's consumers: items lent to a worker that takes them
 * faster than a round trip per item allows.
 *
 * A worker consuming quickly asks for more than one item; the items it has
 * not taken yet sit in its local buffer but are still the queue's. The hub
 * keeps a copy of each lent item until the worker's take log (see
 * `objects/take-log.ts`) says it was taken, so:
 *
 *   - the worker dies: every lent item it had not taken goes back to the
 *     front of the queue, in order (its take log survives it);
 *   - another caller needs an item and the queue's own buffer is empty: the
 *     worker is asked for the rest back (`{ rc: n }`: "items before number n")
 *     and answers with how many it had taken (`reclaimed`), dropping the rest.
 *
 * Items are numbered per worker in the order they were sent; the worker takes
 * them in that order, so "taken n" means exactly "items 0..n-1 were taken".
 */
import { Deque } from '../../util/deque.js';
import { notify, peerAlive } from '../hub/hub.js';
import { readTakes, slotFor } from '../hub/take-logs.js';

interface Lease {
  readonly slot: number;
  /** Items sent to this worker in all; `first` is the number of the oldest one still kept. */
  sent: number;
  first: number;
  /** Copies of items first..sent-1, any of which the worker may not have taken yet. */
  readonly items: Deque<unknown>;
  /** A reclaim of every item before this number is on its way. */
  reclaimAt: number | undefined;
}

/**
 * Reclaims on their way, in every Queue. While there are any, a timer keeps
 * this process's event loop alive: the pool lets it end when no task runs,
 * and a `get` waiting for an idle worker's answer would otherwise be left
 * pending as the process exits.
 */
let reclaims = 0;
let keepAlive: NodeJS.Timeout | undefined;

function reclaimStarted(): void {
  if (reclaims++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

function reclaimEnded(): void {
  if (--reclaims === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/** Told which lent items a worker's code took, in order, and the lease number of the first (a JoinableQueue keeps them until `taskDone`). */
export type OnTaken = (key: string, items: unknown[], firstN: number) => void;

export class Leases {
  readonly #o: number;
  readonly #byPeer = new Map<string, Lease>();
  readonly #onTaken: OnTaken | undefined;

  constructor(o: number, onTaken?: OnTaken) {
    this.#o = o;
    this.#onTaken = onTaken;
  }

  /** Reads worker `key`'s take log now, so what its code took is known before a `taskDone` is settled. */
  sync(key: string): void {
    const lease = this.#byPeer.get(key);
    if (lease) this.#prune(key, lease, readTakes(key, lease.slot));
  }

  /** Reads every worker's take log now (a `taskDone` that may settle any worker's item). */
  syncAll(): void {
    for (const [key, lease] of this.#byPeer) this.#prune(key, lease, readTakes(key, lease.slot));
  }

  /** The take-log slot worker `key` records this queue's takes in; undefined when it has none (it then acknowledges each item). */
  slot(key: string): number | undefined {
    return peerAlive(key) ? slotFor(key, this.#o) : undefined;
  }

  /** Hands `items` to worker `key`: kept here until its take log says they were taken. */
  lend(key: string, slot: number, items: readonly unknown[]): void {
    let lease = this.#byPeer.get(key);
    if (!lease) {
      lease = { slot, sent: 0, first: 0, items: new Deque(), reclaimAt: undefined };
      this.#byPeer.set(key, lease);
    }
    for (const x of items) lease.items.push(x);
    lease.sent += items.length;
  }

  /** Worker `key` says it has taken `taken` items in all (sent with its requests, so copies are dropped without reading the log). */
  taken(key: string, taken: unknown): void {
    const lease = this.#byPeer.get(key);
    if (lease && typeof taken === 'number') this.#prune(key, lease, taken);
  }

  /** Lent items not taken yet, by any worker but `except` (reads the take logs: exact, but not free). */
  held(except?: string): number {
    let n = 0;
    for (const [key, lease] of this.#byPeer) {
      if (key === except) continue;
      this.#prune(key, lease, readTakes(key, lease.slot));
      n += lease.items.length;
    }
    return n;
  }

  /**
   * Asks every worker but `except` that holds items it has not taken to give
   * them back. True while any such reclaim is on its way (the caller then
   * waits for `reclaimed` or the worker's death before deciding "empty").
   */
  reclaim(except?: string): boolean {
    let pending = false;
    for (const [key, lease] of this.#byPeer) {
      if (key === except) continue;
      if (lease.reclaimAt !== undefined) { pending = true; continue; }
      this.#prune(key, lease, readTakes(key, lease.slot));
      if (lease.items.length === 0) continue;
      lease.reclaimAt = lease.sent;
      reclaimStarted();
      notify(key, this.#o, { rc: lease.sent });
      pending = true;
    }
    return pending;
  }

  /** The workers a reclaim is still waiting for, and how many items each was lent and has not taken (for an error that says why a get found nothing). */
  awaited(): string {
    const parts: string[] = [];
    for (const [key, lease] of this.#byPeer) {
      if (lease.reclaimAt === undefined) continue;
      this.#prune(key, lease, readTakes(key, lease.slot));
      parts.push(`${lease.items.length} lent ahead to worker ${key.replace(/^w/, '')}`);
    }
    return parts.join(', ');
  }

  /** True while a reclaim is on its way. */
  get reclaiming(): boolean {
    for (const lease of this.#byPeer.values()) if (lease.reclaimAt !== undefined) return true;
    return false;
  }

  /** Worker `key` answered a reclaim: it had taken `taken` items in all and dropped the rest. Returns those, oldest first. */
  reclaimed(key: string, taken: unknown): unknown[] {
    const lease = this.#byPeer.get(key);
    if (!lease || lease.reclaimAt === undefined || typeof taken !== 'number') return [];
    const upTo = lease.reclaimAt;
    lease.reclaimAt = undefined;
    reclaimEnded();
    this.#prune(key, lease, taken);
    const back: unknown[] = [];
    // Items sent after the reclaim (answers to this worker's own waiting gets) stay lent.
    while (lease.first < upTo && lease.items.length > 0) {
      back.push(lease.items.shift());
      lease.first++;
    }
    return back;
  }

  /** Worker `key` died: the items it never took, oldest first. */
  gone(key: string): unknown[] {
    const lease = this.#byPeer.get(key);
    if (!lease) return [];
    this.#byPeer.delete(key);
    if (lease.reclaimAt !== undefined) reclaimEnded();
    this.#prune(key, lease, readTakes(key, lease.slot));
    return lease.items.drain();
  }

  /** Drops the copies of the items worker `key` took (items first..taken-1), telling `onTaken`. */
  #prune(key: string, lease: Lease, taken: number): void {
    const firstN = lease.first;
    const took: unknown[] | undefined = this.#onTaken && lease.first < taken ? [] : undefined;
    while (lease.first < taken && lease.items.length > 0) {
      const x = lease.items.shift();
      took?.push(x);
      lease.first++;
    }
    if (took?.length) this.#onTaken!(key, took, firstN);
  }

  clear(): void {
    for (const lease of this.#byPeer.values()) if (lease.reclaimAt !== undefined) reclaimEnded();
    this.#byPeer.clear();
  }
}

