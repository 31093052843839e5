/**
 * Dispatch planning, pure: how many queued tasks each ready worker may take
 * now, and which busy workers should give back their unstarted tasks. The
 * supervisor applies the plan (it owns the queue and the wire); keeping the
 * rules here makes them testable without processes.
 *
 * A worker runs up to `concurrency` tasks at once (`concurrentTasksPerWorker`,
 * 1 by default); one with fewer in flight **has room**: a task sent there
 * starts at once. Rules:
 * - workers with room are served first (fewest tasks in flight first);
 * - a burst is shared evenly among live workers, including those still
 *   starting, so one worker does not take a whole batch of tasks whose cost
 *   nobody has seen yet;
 * - a task is pipelined behind running ones only when no worker has room or
 *   is starting (it could wait behind a task that never finishes), and a busy
 *   worker is refilled only once half its pipeline has drained (fewer, larger
 *   messages: each one wakes the worker);
 * - nothing is queued behind a task that holds shared objects (it may block
 *   on a task that would then never start): a worker holding one takes only
 *   tasks that start at once; nothing at all joins a retry that runs alone;
 * - with the queue empty and a worker with room, the busiest workers are asked
 *   to give back the tasks queued behind their running ones.
 */

/** Tasks handed to a worker before its speed is known. */
export const INITIAL_IN_FLIGHT = 2;
/** Upper bound on tasks queued inside one worker: a slow task can strand at most this many behind it. */
export const MAX_IN_FLIGHT = 64;
/** Keep about this much work (ms) queued inside each worker, so it never idles waiting for a round trip. */
export const PIPELINE_BUDGET_MS = 2;

/** What dispatch needs to know about one worker. */
export interface SlotView {
  readonly id: number;
  readonly state: 'starting' | 'ready' | 'stopping' | 'exited';
  /** Tasks handed over and not finished (the head is running). */
  readonly inFlightCount: number;
  /** The last task handed over runs alone (a retry after a death beside others). */
  readonly lastExclusive: boolean;
  /** A task it holds has shared objects in its arguments: nothing may queue behind it (it then holds at most `concurrency`). */
  holdsBlocking(concurrency: number): boolean;
  /** Running average task time in ms; NaN until the first result. */
  readonly avgMs: number;
  /** Tasks handed over in this worker's life (for maxTasksPerChild). */
  readonly dispatched: number;
  /** A reclaim request is on its way. */
  readonly reclaiming: boolean;
}

export interface DispatchLimits {
  queued: number;
  maxTasksPerChild: number;
  /** Tasks a worker runs at once (`concurrentTasksPerWorker`). @default 1 */
  concurrency?: number;
}

export interface DispatchPlan<S extends SlotView> {
  /** Workers to fill, in order, with the most tasks each may take now. */
  fills: Array<{ slot: S; room: number }>;
  /** Ready workers with room (fewer than `concurrency` tasks in flight), before this plan. */
  idle: number;
}

/** Tasks a worker should hold to stay busy for PIPELINE_BUDGET_MS, from its average task time. */
export function pipelineCapacity(avgMs: number): number {
  if (Number.isNaN(avgMs)) return INITIAL_IN_FLIGHT;
  return Math.max(1, Math.min(MAX_IN_FLIGHT, Math.round(PIPELINE_BUDGET_MS / Math.max(avgMs, 1e-3))));
}

export function planDispatch<S extends SlotView>(slots: Iterable<S>, limits: DispatchLimits): DispatchPlan<S> {
  const concurrency = limits.concurrency ?? 1;
  const ready: S[] = [];
  let live = 0;
  let starting = 0;
  let idle = 0;
  for (const w of slots) {
    if (w.state === 'starting') { live++; starting++; }
    if (w.state !== 'ready') continue;
    live++;
    ready.push(w);
    if (hasRoom(w, limits.maxTasksPerChild, concurrency)) idle++;
  }
  ready.sort((a, b) => a.inFlightCount - b.inFlightCount);
  const share = Math.ceil(limits.queued / Math.max(1, live));
  const fills: Array<{ slot: S; room: number }> = [];
  for (const w of ready) {
    // The pipeline (tasks waiting inside the worker) comes on top of its running slots.
    const pipeline = pipelineCapacity(w.avgMs);
    const capacity = pipeline + concurrency - 1;
    if (w.lastExclusive) continue;
    if (w.inFlightCount >= concurrency) {
      if (idle > 0 || starting > 0) continue;
      if (w.inFlightCount - (concurrency - 1) > pipeline / 2) continue;
      if (w.holdsBlocking(concurrency)) continue;
    }
    const room = Math.min((w.inFlightCount > 0 && w.holdsBlocking(concurrency) ? concurrency : capacity) - w.inFlightCount, limits.maxTasksPerChild - w.dispatched, share);
    if (room > 0) fills.push({ slot: w, room });
  }
  return { fills, idle };
}

/**
 * Whether planDispatch could give any worker a task now, ignoring the rules
 * that only hold work back (a fair share, idle or starting workers). In a
 * burst most turns find every worker holding more than half its pipeline:
 * this answers them with one loop and no arrays, and leaves the planner to
 * the turns that fill (in W6, 91 of 2,234), so it is not compiled hot for
 * nothing.
 */
export function mayFill(slots: Iterable<SlotView>, limits: DispatchLimits): boolean {
  const concurrency = limits.concurrency ?? 1;
  for (const w of slots) {
    if (w.state !== 'ready' || w.lastExclusive || w.dispatched >= limits.maxTasksPerChild) continue;
    if (w.inFlightCount < concurrency) return true;
    if (w.inFlightCount - (concurrency - 1) <= pipelineCapacity(w.avgMs) / 2 && !w.holdsBlocking(concurrency)) return true;
  }
  return false;
}

/** A ready worker with a free running slot (a task sent there starts at once), and tasks left in its life. */
function hasRoom(w: SlotView, maxTasksPerChild: number, concurrency: number): boolean {
  return w.state === 'ready' && w.inFlightCount < concurrency && w.dispatched < maxTasksPerChild;
}

const NO_SLOTS: readonly never[] = Object.freeze([]);

/**
 * Some ready worker holds tasks queued behind its running ones (and was not
 * asked for them yet): the only case where a reclaim has anything to take.
 * Usually none does, and this answers it without building arrays.
 */
export function holdsQueued(slots: Iterable<SlotView>, concurrency: number): boolean {
  for (const w of slots) if (w.state === 'ready' && !w.reclaiming && w.inFlightCount > concurrency) return true;
  return false;
}

/**
 * Busy workers to ask for their unstarted tasks back (those queued behind
 * their running ones): one per worker with room, busiest first.
 */
export function planReclaim<S extends SlotView>(slots: Iterable<S>, limits: Omit<DispatchLimits, 'queued'>): readonly S[] {
  const concurrency = limits.concurrency ?? 1;
  if (!holdsQueued(slots, concurrency)) return NO_SLOTS;
  const all = [...slots];
  const idle = all.filter((w) => hasRoom(w, limits.maxTasksPerChild, concurrency)).length;
  if (idle <= 0) return [];
  return all
    .filter((w) => w.state === 'ready' && !w.reclaiming && w.inFlightCount > concurrency)
    .sort((a, b) => b.inFlightCount - a.inFlightCount)
    .slice(0, idle);
}
