/**
 * The client's view of the nodes, from their heartbeats (registry.ts): the
 * live nodes of this module version (capacity, exports, `stats().workers`)
 * and the versions other nodes run (for ModuleMismatchError). Read every
 * FAST_MS while no node is known or someone waits in ready(), else every SLOW_MS.
 */
import type { Heartbeat } from './settings.js';

const FAST_MS = 500;
const SLOW_MS = 5_000;

export class NodeWatch {
  /** Live nodes running this version. */
  live: Heartbeat[] = [];
  /** Versions run by other live nodes. */
  others: string[] = [];
  readonly #read: () => Promise<Heartbeat[]>;
  readonly #version: string;
  readonly #onChange: () => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(version: string, read: () => Promise<Heartbeat[]>, onChange: () => void) {
    this.#version = version;
    this.#read = read;
    this.#onChange = onChange;
  }

  get slots(): number {
    return this.live.reduce((n, h) => n + h.slots, 0);
  }

  async refresh(): Promise<void> {
    if (this.#stopped) return;
    let all: Heartbeat[];
    try {
      all = await this.#read();
    } catch {
      return; // Redis away: keep the last view
    }
    this.live = all.filter((h) => h.version === this.#version && !h.draining);
    this.others = [...new Set(all.filter((h) => h.version !== this.#version).map((h) => h.version))];
    this.#onChange();
  }

  /** Reads again after FAST_MS (`hurry`) or SLOW_MS, forever until stop(). */
  schedule(hurry: boolean): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().then(() => this.schedule(this.live.length === 0));
    }, hurry || this.live.length === 0 ? FAST_MS : SLOW_MS);
  }

  /** The timer keeps the process alive only while the pool has work. */
  ref(busy: boolean): void {
    if (busy) this.#timer?.ref();
    else this.#timer?.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
