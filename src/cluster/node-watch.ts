/**
 * The client's view of the nodes, from their heartbeats (registry.ts): the
 * live nodes of this module version (capacity, exports, `stats().workers`)
 * and the versions other nodes run (for ModuleMismatchError). Read every
 * FAST_MS while no node is known or someone waits in ready(), else every SLOW_MS.
 *
 * With work waiting and no node of this version for NO_NODE_WARN_MS, it warns
 * (`process.emitWarning`, code FORKPOOL_NO_NODE), then again every
 * NO_NODE_REPEAT_MS while that lasts: a pool without nodes never fails its
 * tasks by itself (nodes may come), so the warning is what says why nothing runs.
 */
import { redactUrl, type Heartbeat } from './settings.js';
import { shellQuote } from '../util/shell-quote.js';

const FAST_MS = 500;
const SLOW_MS = 5_000;
/** No node while tasks wait this long: a warning. FORKPOOL_NO_NODE_WARN_MS (ms, read when the pool starts) overrides it (tests). */
const NO_NODE_WARN_MS = 10_000;
/** Then once a minute while it lasts. */
const NO_NODE_REPEAT_MS = 60_000;

export class NodeWatch {
  /** Live nodes running this version. */
  live: Heartbeat[] = [];
  /** Versions run by other live nodes. */
  others: string[] = [];
  readonly #read: () => Promise<Heartbeat[]>;
  readonly #version: string;
  readonly #onChange: () => void;
  readonly #describe: (others: string[]) => string;
  readonly #warnAfterMs = Number(process.env.FORKPOOL_NO_NODE_WARN_MS) > 0 ? Number(process.env.FORKPOOL_NO_NODE_WARN_MS) : NO_NODE_WARN_MS;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #busy = false;
  /** Since when work waits without a node (0: not now), and when we last warned. */
  #noNodeSince = 0;
  #warnedAt = 0;

  /** `describe(others)`: the warning's text (queue, how to start a node, the versions found). */
  constructor(version: string, read: () => Promise<Heartbeat[]>, onChange: () => void, describe: (others: string[]) => string) {
    this.#version = version;
    this.#read = read;
    this.#onChange = onChange;
    this.#describe = describe;
  }

  get slots(): number {
    return this.live.reduce((n, h) => n + h.slots, 0);
  }

  /** A stable worker id per node (1, 2, ... in the order seen) and the tasks each ran for this pool. */
  readonly #ids = new Map<string, number>();
  readonly #done = new Map<string, number>();

  #idOf(node: string): number {
    let id = this.#ids.get(node);
    if (id === undefined) this.#ids.set(node, id = this.#ids.size + 1);
    return id;
  }

  /** A task of this pool ended on `node`: counted in its `tasksDone`; returns its worker id. */
  ranOn(node: string): number {
    this.#done.set(node, (this.#done.get(node) ?? 0) + 1);
    return this.#idOf(node);
  }

  /** The live nodes as `stats().workers` lists them. */
  asWorkers(): Array<{ id: number; pid: number; tasksDone: number; rss: undefined; restarts: number; lastExitReason: undefined; host: string; slots: number; version: string }> {
    return this.live.map(({ id: node, pid, host, slots, version }) => ({
      id: this.#idOf(node), pid, tasksDone: this.#done.get(node) ?? 0, rss: undefined, restarts: 0, lastExitReason: undefined, host, slots, version,
    }));
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
    this.#warnIfAlone();
    this.#onChange();
  }

  #warnIfAlone(): void {
    const now = Date.now();
    if (this.live.length > 0 || !this.#busy) {
      this.#noNodeSince = 0;
      this.#warnedAt = 0;
      return;
    }
    this.#noNodeSince ||= now;
    if (now - this.#noNodeSince < this.#warnAfterMs) return;
    if (this.#warnedAt && now - this.#warnedAt < NO_NODE_REPEAT_MS) return;
    this.#warnedAt = now;
    process.emitWarning(this.#describe(this.others), { code: 'FORKPOOL_NO_NODE' });
  }

  /** Reads again after FAST_MS (`hurry`) or SLOW_MS, forever until stop(). */
  schedule(hurry: boolean): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh().then(() => this.schedule(this.live.length === 0));
    }, hurry || this.live.length === 0 ? FAST_MS : SLOW_MS);
    if (!this.#busy) this.#timer.unref();
  }

  /** The timer keeps the process alive only while the pool has work (and the no-node clock runs only then). */
  ref(busy: boolean): void {
    this.#busy = busy;
    if (busy) this.#timer?.ref();
    else this.#timer?.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The FORKPOOL_NO_NODE warning: what waits, and the command that starts a node for it. */
export function noNodeMessage(backend: { redis: string; queue: string; moduleVersion?: string }, version: string, modulePath: string, others: string[]): string {
  const found = others.length > 0 ? ` Nodes of other module versions are up (${others.join(', ')}): they run another copy of the module.` : '';
  return `Tasks are waiting, and no forkpool worker serves queue ${JSON.stringify(backend.queue)} at module version ${version}.${found} `
    + `Start one: forkpool worker ${shellQuote(modulePath)} --redis ${shellQuote(redactUrl(backend.redis))} --queue ${shellQuote(backend.queue)}${backend.moduleVersion ? ` --module-version ${shellQuote(backend.moduleVersion)}` : ''}`;
}
