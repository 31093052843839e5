/**
 * Journaled runs on the distributed engine: job ids that survive the client,
 * and what a resumed run takes over from the one that was killed.
 *
 *   first task of run R ──► INCR incarnation ──► reconcile R's job set:
 *        finished jobs ──► their items' successful values, by journal key (`known`)
 *        waiting jobs  ──► removed (their items are submitted again, once)
 *        active jobs   ──► waited for, up to RECONCILE_WAIT_MS; then their items run again
 *   each task of R ──► every item known: settled at once, nothing sent
 *                  ──► some known: a task of the other items is sent, the outcomes merged
 *                  ──► else: sent, in jobs named `<R>.<incarnation>-<seq>`, listed in R's set
 *
 * An applied job of a run stays in Redis RUN_JOB_GRACE_MS more, so that a
 * result the journal has not written yet (it waits for the consumer) is
 * still there for the next resume; then it leaves, as at the run's normal end.
 * Failed items are never taken over: they run again (and `--resume-failed` means it).
 */
import { Task, type ChunkOutcome } from '../engine/task.js';
import type { ClientLink } from './link.js';
import { bareKey, runOfJobId } from './run-keys.js';

/** Applied jobs of a run stay this long, for a resume after a kill; the journal has their records by then. */
export const RUN_JOB_GRACE_MS = 10_000;
/** Resume: jobs of the killed run still running get this long to finish before their items run again. */
export const RECONCILE_WAIT_MS = 10_000;
const RECONCILE_POLL_MS = 200;

interface Known { value: unknown; ms: number }

interface RunState {
  incarnation: number | undefined;
  seq: number;
  known: Map<string, Known>;
  /** Tasks that arrived before reconciliation ended. */
  pending: Task[];
  /** Applied jobs waiting out the grace: [id, result key or '', applied at]. */
  held: Array<[string, string, number]>;
}

export interface RunHooks {
  /** The connection, once start-up has ended (undefined if it failed). */
  link(): Promise<ClientLink | undefined>;
  /** Send a task (the engine's waiting line). */
  enqueue(task: Task): void;
  /** A task settled from known outcomes: count it. */
  completed(items: number): void;
  /** Something changed (join may be waiting). */
  progress(): void;
  log(message: string): void;
}

export class RunBook {
  readonly #runs = new Map<string, RunState>();
  readonly #hooks: RunHooks;
  /** A task sent in part (some items known) → the task of its other items. */
  readonly #parts = new Map<Task, Task>();
  #timer: NodeJS.Timeout | undefined;

  constructor(hooks: RunHooks) {
    this.#hooks = hooks;
  }

  /** Tasks waiting for their run's reconciliation. */
  get pending(): number {
    let n = 0;
    for (const r of this.#runs.values()) n += r.pending.length;
    return n;
  }

  admit(task: Task, run: string): void {
    let state = this.#runs.get(run);
    if (!state) {
      state = { incarnation: undefined, seq: 0, known: new Map(), pending: [], held: [] };
      this.#runs.set(run, state);
      void this.#reconcile(run, state);
    }
    if (state.incarnation === undefined) state.pending.push(task);
    else this.#place(task, state);
  }

  /** terminate, a broken pool: the tasks still waiting for reconciliation, to fail them. */
  takePending(): Task[] {
    return [...this.#runs.values()].flatMap((r) => r.pending.splice(0));
  }

  /** `<run>.<incarnation>-<seq>`: a resubmit of the same job by the same client keeps its id. */
  nextJobId(run: string): string {
    const state = this.#runs.get(run)!;
    return `${run}.${state.incarnation}-${++state.seq}`;
  }

  /** Takes a task back: 'pending' if it was never sent, or the task of its unknown items to drop instead. */
  detach(task: Task): 'pending' | Task | undefined {
    for (const r of this.#runs.values()) {
      const i = r.pending.indexOf(task);
      if (i >= 0) { r.pending.splice(i, 1); return 'pending'; }
    }
    return this.#parts.get(task);
  }

  /** Of the jobs applied, those that leave Redis now: a journaled run's stay RUN_JOB_GRACE_MS more, for a resume. */
  leaveRedis(applied: string[], jobs: Array<{ id: string; ref?: string }>): string[] {
    const now: string[] = [];
    for (const id of applied) {
      const state = this.#runs.get(runOfJobId(id) ?? '');
      if (!state) { now.push(id); continue; }
      state.held.push([id, jobs.find((j) => j.id === id)?.ref ?? '', Date.now()]);
      this.#timer ??= setInterval(() => void this.#release(false), RUN_JOB_GRACE_MS / 4).unref();
    }
    return now;
  }

  /** Normal end (close + join): every held job leaves now. After terminate they stay, for a resume. */
  async finish(normal: boolean): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!normal) return;
    await this.#release(true);
    const link = await this.#hooks.link();
    for (const run of this.#runs.keys()) await link?.endRun(run).catch(() => undefined);
  }

  async #release(all: boolean): Promise<void> {
    const link = await this.#hooks.link();
    if (!link) return;
    const before = Date.now() - RUN_JOB_GRACE_MS;
    for (const [run, state] of this.#runs) {
      const cut = all ? state.held.length : state.held.findIndex(([, , at]) => at > before);
      const out = state.held.splice(0, cut < 0 ? state.held.length : cut);
      if (out.length === 0) continue;
      try {
        await link.removeRunJobs(run, out.map(([id]) => id), out.map(([, ref]) => ref).filter(Boolean));
      } catch { /* Redis away: they expire (24 h) */ }
    }
  }

  // ── resume ────────────────────────────────────────────────────────────────

  async #reconcile(run: string, state: RunState): Promise<void> {
    const link = await this.#hooks.link();
    let incarnation = Date.now(); // no Redis answer: still a fresh name
    try {
      if (link) incarnation = await this.#takeOver(link, run, state);
    } catch (err) {
      this.#hooks.log(`could not read what run ${run} left in Redis (${(err as Error).message}); its items run again`);
    }
    state.incarnation = incarnation;
    for (const t of state.pending.splice(0)) this.#place(t, state);
    this.#hooks.progress();
  }

  async #takeOver(link: ClientLink, run: string, state: RunState): Promise<number> {
    const incarnation = await link.nextIncarnation(run);
    let ids = await link.runJobs(run);
    const deadline = Date.now() + RECONCILE_WAIT_MS;
    while (ids.length > 0) {
      const still: string[] = [];
      const gone: string[] = [];
      for (const job of await link.runJobStates(ids)) {
        if (job.state === 'gone') gone.push(job.id);
        else if (job.state === 'finished') {
          for (const [key, k] of job.known) state.known.set(key, k);
          state.held.push([job.id, job.ref ?? '', Date.now()]);
        } else if (job.state === 'locked' || !await link.tryRemove(job.id)) still.push(job.id);
        else gone.push(job.id);
      }
      if (gone.length > 0) await link.forgetRunJobs(run, gone);
      ids = still;
      if (ids.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, RECONCILE_POLL_MS));
    }
    if (ids.length > 0) this.#hooks.log(`${ids.length} job(s) of the earlier run are still running after ${RECONCILE_WAIT_MS} ms; their items run again`);
    if (state.held.length > 0) this.#timer ??= setInterval(() => void this.#release(false), RUN_JOB_GRACE_MS / 4).unref();
    return incarnation;
  }

  /** Sends the task, or settles it from the outcomes the killed run left, or both for parts of it. */
  #place(task: Task, state: RunState): void {
    if (task.settled) return;
    const keys = task.keys ?? [];
    if (state.known.size === 0 || keys.length === 0 || !task.items) return this.#hooks.enqueue(task);
    const found = keys.map((k) => state.known.get(bareKey(k)));
    const missing = found.flatMap((f, i) => (f ? [] : [i]));
    if (missing.length === keys.length) return this.#hooks.enqueue(task);
    for (const k of keys) state.known.delete(bareKey(k));
    const values = found.map((f) => f?.value);
    const ms = found.reduce((n, f) => n + (f?.ms ?? 0), 0);
    if (missing.length === 0) {
      this.#hooks.completed(keys.length);
      return task.settle({ values, errors: undefined }, { workerId: 0, ms });
    }
    this.#hooks.completed(keys.length - missing.length);
    const part = new Task({
      name: task.name,
      items: missing.map((i) => task.items![i]),
      spread: task.spread,
      timeout: task.timeout,
      signal: task.signal,
      retries: task.retries,
      retryOnError: task.retryOnError,
      keys: missing.map((i) => keys[i]!),
      run: task.run,
      itemTimes: task.itemTimes,
      sink: (result, info) => {
        this.#parts.delete(task);
        task.settle(merge(values, missing, result), { workerId: info.workerId, ms: ms + info.ms });
      },
    });
    this.#parts.set(task, part);
    this.#hooks.enqueue(part);
  }
}

/** The outcome of a task of which only the items at `missing` ran. A whole-task error fails it all. */
function merge(values: unknown[], missing: number[], result: ChunkOutcome | Error): ChunkOutcome | Error {
  if (result instanceof Error) return result;
  const out = values.slice();
  missing.forEach((at, j) => { out[at] = result.values[j]; });
  const errors = result.errors?.map(([j, e]) => [missing[j]!, e] as [number, Error]);
  return { values: out, errors };
}
