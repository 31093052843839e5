/**
 * The client's side of Redis: one connection for commands, BullMQ's Queue
 * (adding and removing jobs) and QueueEvents (wake-ups, inline results of
 * completions, and the early results a running job's node reports as its
 * progress; the job's hash holds every final outcome).
 */
import type { Queue, QueueEvents } from 'bullmq';
import { closeRedis, connectRedis, loadLibraries, setupError, type Bull, type RedisClient } from './connect.js';
import { resultRef, succeededByKey, type JobResult } from './codec.js';
import { RedisHealth, type HealthHooks } from './health.js';
import { readNodes } from './registry.js';
import { JOB_FORMAT, KEEP_FINISHED_S, jobOptions, PREFIX, cancelChannel, cancelMessage, skipMessage, eventsMaxLen, redactUrl, runIncarnationKey, runSetKey, type Heartbeat } from './settings.js';

/**
 * A job's final fields; `returnvalue` null means it failed (`failedReason`).
 * A result too large to travel inline is under its own key `ref`, read as `stored`.
 */
export interface FinishedJob { id: string; returnvalue: string | JobResult | null; failedReason: string | null; ref?: string; stored?: string | null }

/** A job of a journaled run, as a resumed run finds it. */
export type RunJob =
  | { id: string; state: 'gone' | 'locked' | 'unlocked' }
  | { id: string; state: 'finished'; known: Array<[string, { value: unknown; ms: number }]>; ref?: string };

export interface LinkHooks extends HealthHooks {
  /** A job may have finished (an event): read its hash. */
  onHint(jobId: string): void;
  /** A job completed (its event, which BullMQ writes only for a completion made under the job's lock), with its return value. */
  onCompleted(jobId: string, returnvalue: unknown): void;
  /** Tasks of a running job ended on its node (its `progress` event: early-results.ts). */
  onProgress(jobId: string, progress: unknown): void;
  /** The connection came back: read every outstanding job. */
  onReconnect(): void;
}

/** An idle pool closes its QueueEvents after this long (reopened with the next task). */
const EVENTS_IDLE_MS = 1_000;

/** KEYS[1] the run's job set, KEYS[2] its incarnation counter. Deletes both when the set is empty; returns how many keys went. */
const END_RUN_LUA = "if redis.call('SCARD', KEYS[1]) == 0 then return redis.call('DEL', KEYS[1], KEYS[2]) end return 0";

export class ClientLink {
  readonly #client: RedisClient;
  readonly #queue: Queue;
  readonly #newEvents: EventsFactory;
  readonly health: RedisHealth;
  #events: QueueEvents | undefined;
  #eventsClient: RedisClient | undefined;
  /** The last event seen: a reopened QueueEvents reads on from there. */
  #lastEventId: string | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #busy = true;

  /** Connects (RedisConnectionError within CONNECT_TIMEOUT_MS) and starts listening; `abandoned()` true: closes at once. */
  static async open(
    url: string, queueName: string, clientId: string, unavailableMs: number, hooks: LinkHooks, abandoned: () => boolean,
  ): Promise<ClientLink | undefined> {
    const libs = await loadLibraries();
    const client = await connectRedis(libs, url, `forkpool-client-${clientId}`);
    if (abandoned()) return void await closeRedis(client);
    client.on('error', () => { /* ioredis reconnects by itself; a lasting outage is not reported yet */ });
    client.on('ready', () => hooks.onReconnect());
    const queue = new libs.bull.Queue(queueName, { connection: client, prefix: PREFIX, streams: { events: { maxLen: eventsMaxLen() } } });
    queue.on('error', () => {});
    const health = new RedisHealth(client, redactUrl(url), queueName, unavailableMs, hooks);
    const link = new ClientLink(client, queue, health, (lastEventId) => openEvents(libs.bull, queueName, client, hooks, lastEventId));
    try {
      await Promise.all([queue.waitUntilReady(), link.#openEvents().waitUntilReady(), health.start()]);
    } catch (err) {
      await link.close();
      throw setupError(url, err);
    }
    return link;
  }

  private constructor(client: RedisClient, queue: Queue, health: RedisHealth, events: EventsFactory) {
    this.health = health;
    this.#client = client;
    this.#queue = queue;
    this.#newEvents = events;
    client.on('connect', () => refSocket(client, this.#busy));
  }

  /**
   * QueueEvents, opened when work comes and closed after EVENTS_IDLE_MS idle:
   * bullmq 6.7 arms a ref'd watchdog timer around each blocking XREAD, which
   * would keep an idle pool's process alive, unlike a local pool's. It
   * reopens from the last event id it saw, so an event written while it was
   * closed still wakes the reader (results never depend on it anyway).
   */
  #openEvents(): QueueEvents {
    if (this.#events) return this.#events;
    const { events, lastEventId } = this.#newEvents(this.#lastEventId);
    this.#events = events;
    lastEventId((id) => { this.#lastEventId = id; });
    // BullMQ's QueueEvents reads on a duplicate connection of its own (backend.client, a promise).
    void Promise.resolve((events as unknown as { backend?: { client?: Promise<RedisClient> } }).backend?.client).then((c) => {
      if (!c || this.#events !== events) return;
      this.#eventsClient = c;
      c.on('connect', () => refSocket(c, this.#busy));
      refSocket(c, this.#busy);
    }, () => undefined);
    return events;
  }

  async #closeEvents(): Promise<void> {
    const events = this.#events;
    this.#events = undefined;
    this.#eventsClient = undefined;
    await events?.close().catch(() => undefined);
  }

  /** Jobs of a journaled run are listed in the run's set first, so a resume finds every job that may exist. */
  async add(jobs: Array<{ id: string; data: string[]; run?: string }>): Promise<void> {
    const runs = new Map<string, string[]>();
    for (const j of jobs) if (j.run) runs.set(j.run, [...runs.get(j.run) ?? [], j.id]);
    if (runs.size > 0) {
      const m = this.#client.multi();
      for (const [run, ids] of runs) m.sadd(this.#runSet(run), ...ids).expire(this.#runSet(run), KEEP_FINISHED_S);
      await m.exec();
    }
    await this.#queue.addBulk(jobs.map(({ id, data }) => ({
      name: 'forkpool',
      data: { f: JOB_FORMAT, t: data },
      opts: jobOptions(id),
    })));
  }

  /** The jobs among `ids` that are final (one pipeline). `finishedOn` is set only then: completed, or failed with no attempt left. */
  async finished(ids: string[]): Promise<FinishedJob[]> {
    const pipe = this.#client.pipeline();
    for (const id of ids) pipe.hmget(this.#queue.toKey(id), 'finishedOn', 'returnvalue', 'failedReason');
    const replies = await pipe.exec();
    const out: FinishedJob[] = [];
    ids.forEach((id, i) => {
      const [err, fields] = replies?.[i] ?? [null, null];
      if (err || !Array.isArray(fields)) return;
      const [finishedOn, returnvalue, failedReason] = fields as Array<string | null>;
      if (finishedOn) out.push({ id, returnvalue, failedReason, ref: resultRef(returnvalue) });
    });
    const byRef = out.filter((f) => f.ref);
    if (byRef.length > 0) {
      // getBuffer would avoid one copy, but results are base64 text already.
      const stored = await this.#client.mget(byRef.map((f) => f.ref!));
      byRef.forEach((f, i) => { f.stored = stored[i]; });
    }
    return out;
  }

  /**
   * terminate(): the outstanding jobs are removed; a running one (BullMQ
   * refuses to remove it) is aborted on its node over the cancel channel, as
   * a local terminate() kills its workers, so no task of the pool outlives it
   * holding a node's slot. It then finishes and expires (removeOnComplete
   * age). Waits at most `ms`.
   */
  async removeWithin(ids: string[], ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const work = Promise.all(ids.map(async (id) => {
      if (!await this.tryRemove(id).catch(() => true)) await this.publishCancel(id, undefined, false).catch(() => undefined);
    }));
    await Promise.race([work, new Promise((r) => { timer = setTimeout(r, ms); })]).finally(() => clearTimeout(timer));
  }

  /** Jobs applied: they leave Redis, with the results stored under their own keys. */
  async remove(ids: string[], refs: string[] = []): Promise<void> {
    await Promise.all([
      ...ids.map((id) => this.#queue.remove(id).catch(() => 0)),
      refs.length > 0 ? this.#client.del(...refs).catch(() => 0) : undefined,
    ]);
  }

  // ── journaled runs (runs.ts) ──────────────────────────────────────────────

  #runSet(run: string): string { return runSetKey(this.#queue.name, run); }

  async nextIncarnation(run: string): Promise<number> {
    const key = runIncarnationKey(this.#queue.name, run);
    // Seeded with the clock: after Redis lost its data, the count never starts again at 1 (a node may still hold a job of that name).
    const [, [, n]] = (await this.#client.multi().set(key, Date.now(), 'NX').incr(key).expire(key, KEEP_FINISHED_S).exec())! as [unknown, [unknown, number]];
    return n;
  }

  runJobs(run: string): Promise<string[]> {
    return this.#client.smembers(this.#runSet(run));
  }

  /** Where each job is: gone, finished (with its successful items by key), or not yet (locked: running). */
  async runJobStates(ids: string[]): Promise<RunJob[]> {
    const pipe = this.#client.pipeline();
    for (const id of ids) {
      pipe.hmget(this.#queue.toKey(id), 'data', 'finishedOn', 'returnvalue');
      pipe.exists(`${this.#queue.toKey(id)}:lock`);
    }
    const replies = (await pipe.exec()) ?? [];
    const out: RunJob[] = [];
    for (const [i, id] of ids.entries()) {
      const [data, finishedOn, returnvalue] = (replies[2 * i]?.[1] ?? []) as Array<string | null>;
      const locked = replies[2 * i + 1]?.[1] === 1;
      if (!data) out.push({ id, state: 'gone' });
      else if (!finishedOn) out.push({ id, state: locked ? 'locked' : 'unlocked' });
      else {
        const ref = resultRef(returnvalue);
        const stored = ref ? await this.#client.get(ref) : undefined;
        let known: Array<[string, { value: unknown; ms: number }]> = [];
        try { if (returnvalue) known = succeededByKey(data, returnvalue, stored); } catch { /* unreadable: its items run again */ }
        out.push({ id, state: 'finished', known, ref });
      }
    }
    return out;
  }

  /** Tells the node running `jobId` to abort (or withdraw) those of its tasks, all without `tasks`: cancel.ts. */
  async publishCancel(jobId: string, tasks: number[] | undefined, withdraw: boolean): Promise<void> {
    await this.#client.publish(cancelChannel(this.#queue.name), cancelMessage(jobId, tasks, withdraw));
  }

  /** Tells every node to skip these jobs if it fetches one before its removal lands: cancel.ts. */
  async publishSkip(jobIds: string[]): Promise<void> {
    await this.#client.publish(cancelChannel(this.#queue.name), skipMessage(jobIds));
  }

  /** Removes a job that exists and is not running: false for a running one, and for one not added yet (addBulk unanswered). */
  async removeIfIdle(id: string): Promise<boolean> {
    return await this.#client.exists(this.#queue.toKey(id)) === 1 && await this.tryRemove(id);
  }

  /** Removes a job not running (BullMQ refuses a locked one): true when it is gone. */
  async tryRemove(id: string): Promise<boolean> {
    return (await this.#queue.remove(id)) === 1;
  }

  async forgetRunJobs(run: string, ids: string[]): Promise<void> {
    await this.#client.srem(this.#runSet(run), ...ids);
  }

  /** Applied jobs of a run leave Redis, with their stored results. */
  async removeRunJobs(run: string, ids: string[], refs: string[]): Promise<void> {
    await this.remove(ids, refs);
    await this.forgetRunJobs(run, ids);
  }

  /** The run ended normally: its set and counter go, unless jobs are still listed (they expire with their TTL). */
  async endRun(run: string): Promise<void> {
    await this.#client.eval(END_RUN_LUA, 2, this.#runSet(run), runIncarnationKey(this.#queue.name, run));
  }

  /**
   * An idle pool lets the process exit, as a local pool does: the sockets
   * (the command connection and QueueEvents' own blocking one) are unref'd
   * while nothing is outstanding, and ref'd again with the first task;
   * QueueEvents itself closes after EVENTS_IDLE_MS idle (#openEvents). A
   * reconnect opens a new socket, which gets the same treatment when it connects.
   */
  ref(busy: boolean): void {
    this.health.ref(busy);
    if (busy) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
      if (!this.#closed) this.#openEvents();
    } else if (this.#events && !this.#idleTimer) {
      this.#idleTimer = setTimeout(() => { this.#idleTimer = undefined; void this.#closeEvents(); }, EVENTS_IDLE_MS);
      this.#idleTimer.unref();
    }
    if (this.#busy === busy) return;
    this.#busy = busy;
    for (const c of this.#sockets) refSocket(c, busy);
  }

  get #sockets(): RedisClient[] {
    return [this.#client, ...this.#eventsClient ? [this.#eventsClient] : []];
  }

  nodes(queue: string): Promise<Heartbeat[]> {
    return readNodes(this.#client, queue);
  }

  /** Never waits on Redis for more than about 2 s. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.health.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#closeEvents(), this.#queue.close()]),
      new Promise((r) => { timer = setTimeout(r, 1_000); }),
    ]);
    clearTimeout(timer);
    await closeRedis(this.#client);
  }
}

type EventsFactory = (lastEventId: string | undefined) => { events: QueueEvents; lastEventId: (seen: (id: string) => void) => void };

/** A QueueEvents whose completions and failures wake the reader; from `lastEventId` when given, else from now. */
function openEvents(bull: Bull, queueName: string, client: RedisClient, hooks: LinkHooks, lastEventId: string | undefined): ReturnType<EventsFactory> {
  // BullMQ gives QueueEvents its own duplicate of `client` (it blocks on XREAD) and closes it.
  const events = new bull.QueueEvents(queueName, { connection: client, prefix: PREFIX, ...lastEventId ? { lastEventId } : {} });
  let seen: (id: string) => void = () => {};
  events.on('error', () => {});
  events.on('completed', ({ jobId, returnvalue }, id) => { seen(id); hooks.onCompleted(jobId, returnvalue); });
  events.on('failed', ({ jobId }, id) => { seen(id); hooks.onHint(jobId); });
  events.on('progress', ({ jobId, data }, id) => { seen(id); hooks.onProgress(jobId, data); });
  return { events, lastEventId: (f) => { seen = f; } };
}

function refSocket(client: RedisClient, busy: boolean): void {
  const socket = (client as unknown as { stream?: { ref?: () => void; unref?: () => void } }).stream;
  if (busy) socket?.ref?.();
  else socket?.unref?.();
}
