/**
 * Everything the runner learns about a run, in bounded memory: counts by
 * outcome, a latency histogram, the slowest items, worker restarts, and the
 * samples behind the HTML report (task spans, throughput, RSS). A
 * million-item run keeps a few megabytes here, whatever its length.
 */
import type { JournaledItem } from '../journal/journaled.js';
import { toJsonText } from './encode.js';

export type Outcome = 'ok' | 'error' | 'timeout' | 'crash' | 'memory' | 'aborted' | 'input';

/** Task spans kept for the Gantt chart; past this, successes are sampled (failures are always kept up to MAX_FAILURES). */
export const MAX_SPANS = 20_000;
/** Failures listed in the summary data and the report's table. */
export const MAX_FAILURES = 1_000;
/** RSS samples kept per worker lane; older ones are thinned by half when full. */
const MAX_RSS_SAMPLES = 2_000;
/** Histogram buckets grow by 5%: percentiles are exact to within 5%. */
const BUCKET_RATIO = 1.05;
const BUCKET_MIN_MS = 0.01;
const SLOWEST_KEPT = 5;
/** Throughput is counted per tenth of a second (a long run is aggregated when drawn). */
export const TICK_MS = 100;
/** Exits marked on the Gantt chart at most (a recycling run can have thousands). */
const MAX_EXITS = 5_000;

export interface Span { lane: number; worker: number; start: number; end: number; outcome: Outcome; key: string }
export interface FailureRow { key: string; input: string; outcome: Outcome; error: string; errorName: string; errorMessage: string; worker: number; ms: number }
export interface SlowItem { key: string; input: string; ms: number }

export class RunStats {
  readonly startedAt = Date.now();
  finishedAt: number | undefined;
  readonly counts: Record<Outcome, number> = { ok: 0, error: 0, timeout: 0, crash: 0, memory: 0, aborted: 0, input: 0 };
  fromJournal = 0;
  total: number | undefined;
  readonly restarts: Record<string, number> = {};
  readonly spans: Span[] = [];
  readonly failures: FailureRow[] = [];
  readonly slowest: SlowItem[] = [];
  /** Completions per `TICK_MS` since the start. */
  readonly perTick: number[] = [];
  /** Worker exits other than shutdown, for the Gantt: lane, ms since start, reason. */
  readonly exits: Array<{ lane: number; t: number; reason: string }> = [];
  /** lane → [ms since start, rss bytes][] */
  readonly rss = new Map<number, Array<[number, number]>>();
  readonly #buckets = new Map<number, number>();
  #ran = 0;
  /** Run times in the histogram: items that ran, not input errors or items a halt aborted. */
  #timed = 0;
  #spansSeen = 0;
  readonly #laneOf = new Map<number, number>();
  /** Worker holding each lane; undefined once it exited. */
  readonly #laneOwner: Array<number | undefined> = [];

  /** Items finished so far (recorded ones included). */
  get done(): number {
    let n = 0;
    for (const k in this.counts) n += this.counts[k as Outcome];
    return n;
  }

  get failed(): number {
    return this.done - this.counts.ok;
  }

  /** Items actually run in this session (not taken from the journal). */
  get ran(): number {
    return this.#ran;
  }

  elapsedMs(now = Date.now()): number {
    return (this.finishedAt ?? now) - this.startedAt;
  }

  /** Worker slots of the pool (-j): lanes never outnumber them. */
  maxLanes = Infinity;
  /** Workers the pool listed at the last sample, to tell a leaving worker's lane from a live one's. */
  #live = new Set<number>();

  /**
   * Gantt lane of a worker: a lane is reused once its previous worker exited,
   * like a pool slot. A replacement can show up before its predecessor's exit
   * is reported; it then takes the lane of a worker the pool no longer lists,
   * so `-j 4` never draws a fifth row. Undefined with `assign: false` and no lane free.
   */
  laneOf(workerId: number): number;
  laneOf(workerId: number, assign: false): number | undefined;
  laneOf(workerId: number, assign = true): number | undefined {
    let lane = this.#laneOf.get(workerId);
    if (lane !== undefined) return lane;
    lane = this.#laneOwner.indexOf(undefined);
    if (lane < 0 && this.#laneOwner.length < this.maxLanes) lane = this.#laneOwner.length;
    if (lane < 0 && this.#live.size > 0) lane = this.#laneOwner.findIndex((owner) => !this.#live.has(owner!));
    if (lane < 0) {
      if (!assign) return undefined;
      lane = this.#laneOwner.length;
    }
    this.#laneOwner[lane] = workerId;
    this.#laneOf.set(workerId, lane);
    return lane;
  }

  workerExited(workerId: number, reason: string): void {
    const lane = this.#laneOf.get(workerId);
    if (lane !== undefined && this.#laneOwner[lane] === workerId) this.#laneOwner[lane] = undefined;
    if (reason === 'shutdown') return;
    this.restarts[reason] = (this.restarts[reason] ?? 0) + 1;
    if (lane !== undefined && this.exits.length < MAX_EXITS) this.exits.push({ lane, t: Date.now() - this.startedAt, reason });
  }

  get laneCount(): number {
    return this.#laneOwner.length;
  }

  add(item: JournaledItem, inputText: string): void {
    const outcome = outcomeOf(item);
    // The pool reports no run time for a task it killed; a timed-out task ran for its timeout.
    const timeout = (item as { error?: { timeout?: unknown } }).error?.timeout;
    const s = outcome === 'timeout' && !item.ms && typeof timeout === 'number' ? { ...item, ms: timeout } : item;
    this.counts[outcome]++;
    if (outcome !== 'ok' && outcome !== 'aborted' && this.failures.length < MAX_FAILURES) {
      const e = s.ok ? undefined : s.error;
      this.failures.push({ key: s.key, input: inputText, outcome, error: errorText(s), errorName: e?.name ?? 'Error', errorMessage: e?.message ?? '', worker: s.workerId, ms: s.ms });
    }
    if (s.fromJournal) { this.fromJournal++; return; }
    this.#ran++;
    const now = Date.now();
    const tick = Math.floor((now - this.startedAt) / TICK_MS);
    while (this.perTick.length <= tick) this.perTick.push(0);
    this.perTick[tick]!++;
    // An input error never ran, and an item `--halt now` aborted has no run time of its own (0 ms).
    if (outcome !== 'input' && outcome !== 'aborted') {
      this.#addLatency(s.ms);
      this.#addSlow({ key: s.key, input: inputText, ms: s.ms });
    }
    if (outcome !== 'input') this.#addSpan(s, outcome, now);
  }

  sampleRss(workers: ReadonlyArray<{ id: number; rss: number | undefined }>): void {
    const t = Date.now() - this.startedAt;
    this.#live = new Set(workers.map((w) => w.id));
    for (const w of workers) {
      if (w.rss === undefined) continue;
      const lane = this.laneOf(w.id, false);
      if (lane === undefined) continue;
      let list = this.rss.get(lane);
      if (!list) this.rss.set(lane, (list = []));
      list.push([t, w.rss]);
      if (list.length > MAX_RSS_SAMPLES) this.rss.set(lane, list.filter((_, i) => i % 2 === 0));
    }
  }

  percentile(p: number): number | undefined {
    if (this.#timed === 0) return undefined;
    const keys = [...this.#buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    // Of the timed items: counting input errors too left p99 of a run with one unreachable ("?").
    const want = Math.ceil((p / 100) * this.#timed);
    for (const k of keys) {
      seen += this.#buckets.get(k)!;
      if (seen >= want) return k < 0 ? 0 : BUCKET_MIN_MS * BUCKET_RATIO ** k;
    }
    return undefined;
  }

  #addLatency(ms: number): void {
    this.#timed++;
    const k = ms <= BUCKET_MIN_MS ? -1 : Math.ceil(Math.log(ms / BUCKET_MIN_MS) / Math.log(BUCKET_RATIO));
    this.#buckets.set(k, (this.#buckets.get(k) ?? 0) + 1);
  }

  #addSlow(item: SlowItem): void {
    if (this.slowest.length === SLOWEST_KEPT && item.ms <= this.slowest[SLOWEST_KEPT - 1]!.ms) return;
    this.slowest.push(item);
    this.slowest.sort((a, b) => b.ms - a.ms);
    if (this.slowest.length > SLOWEST_KEPT) this.slowest.pop();
  }

  #addSpan(s: JournaledItem, outcome: Outcome, now: number): void {
    // `endedAt`: items of a chunk ran one after another, so each span sits where it ran, not all ending at the chunk's result.
    const end = Math.min(now, s.endedAt ?? now) - this.startedAt;
    const span: Span = { lane: this.laneOf(s.workerId), worker: s.workerId, start: Math.max(0, end - s.ms), end, outcome, key: s.key };
    this.#spansSeen++;
    if (this.spans.length < MAX_SPANS) { this.spans.push(span); return; }
    // Reservoir sampling keeps a fair picture of a long run; failures replace successes first.
    const j = Math.floor(Math.random() * this.#spansSeen);
    if (outcome !== 'ok') {
      const victim = this.spans.findIndex((x) => x.outcome === 'ok');
      if (victim >= 0) this.spans[victim] = span;
    } else if (j < MAX_SPANS && this.spans[j]!.outcome === 'ok') {
      this.spans[j] = span;
    }
  }

  /** True when the report shows a sample of the spans rather than all of them. */
  get spansSampled(): boolean {
    return this.#spansSeen > this.spans.length;
  }
}

export function outcomeOf(s: JournaledItem): Outcome {
  if (s.ok) return 'ok';
  switch ((s.error as { code?: string }).code) {
    case 'ERR_FORKPOOL_TASK_TIMEOUT': return 'timeout';
    case 'ERR_FORKPOOL_WORKER_CRASHED': return 'crash';
    case 'ERR_FORKPOOL_MEMORY_LIMIT': return 'memory';
    case 'ERR_FORKPOOL_ABORTED': case 'ERR_FORKPOOL_TERMINATED': case 'ERR_FORKPOOL_POOL_CLOSED': return 'aborted';
    case 'ERR_FORKPOOL_INPUT_LINE': return 'input';
    default: return 'error';
  }
}

function errorText(s: JournaledItem): string {
  if (s.ok) return '';
  const e = s.error;
  return `${e.name}: ${e.message}`;
}

/** When JSON.stringify throws: String() (a bigint), else, for an item nested too deep for both, the iterative JSON copy. */
function fallbackText(item: unknown): string {
  try { return String(item); } catch { return toJsonText(item); }
}

/** Short, one-line text of an input for tables and summaries. */
export function preview(item: unknown, max = 80): string {
  let text: string;
  if (typeof item === 'string') text = item;
  else {
    try { text = JSON.stringify(item) ?? String(item); } catch { text = fallbackText(item); }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
