/**
 * The client's side of Redis: one connection for commands, BullMQ's Queue
 * (adding and removing jobs) and QueueEvents (wake-ups only). Reading an
 * outcome always goes to the job's hash, never to an event's payload.
 */
import type { Queue, QueueEvents } from 'bullmq';
import { closeRedis, connectRedis, loadLibraries, type RedisClient } from './connect.js';
import { resultRef } from './codec.js';
import { RedisHealth, type HealthHooks } from './health.js';
import { readNodes } from './registry.js';
import { JOB_ATTEMPTS, JOB_FORMAT, KEEP_FINISHED_S, PREFIX, redactUrl, type Heartbeat } from './settings.js';

/**
 * A job's final fields; `returnvalue` null means it failed (`failedReason`).
 * A result too large to travel inline is under its own key `ref`, read as `stored`.
 */
export interface FinishedJob { id: string; returnvalue: string | null; failedReason: string | null; ref?: string; stored?: string | null }

export interface LinkHooks extends HealthHooks {
  /** A job may have finished (an event): read its hash. */
  onHint(jobId: string): void;
  /** The connection came back: read every outstanding job. */
  onReconnect(): void;
}

export class ClientLink {
  readonly #client: RedisClient;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly health: RedisHealth;

  /** Connects (RedisConnectionError within CONNECT_TIMEOUT_MS) and starts listening; `abandoned()` true: closes at once. */
  static async open(
    url: string, queueName: string, clientId: string, unavailableMs: number, hooks: LinkHooks, abandoned: () => boolean,
  ): Promise<ClientLink | undefined> {
    const libs = await loadLibraries();
    const client = await connectRedis(libs, url, `forkpool-client-${clientId}`);
    if (abandoned()) return void await closeRedis(client);
    client.on('error', () => { /* ioredis reconnects by itself; a lasting outage is not reported yet */ });
    client.on('ready', () => hooks.onReconnect());
    const queue = new libs.bull.Queue(queueName, { connection: client, prefix: PREFIX });
    // BullMQ gives QueueEvents its own duplicate of `client` (it blocks on XREAD) and closes it.
    const events = new libs.bull.QueueEvents(queueName, { connection: client, prefix: PREFIX });
    queue.on('error', () => {});
    events.on('error', () => {});
    events.on('completed', ({ jobId }) => hooks.onHint(jobId));
    events.on('failed', ({ jobId }) => hooks.onHint(jobId));
    const health = new RedisHealth(client, redactUrl(url), queueName, unavailableMs, hooks);
    const link = new ClientLink(client, queue, events, health);
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), health.start()]);
    } catch (err) {
      await link.close();
      throw err;
    }
    return link;
  }

  private constructor(client: RedisClient, queue: Queue, events: QueueEvents, health: RedisHealth) {
    this.health = health;
    this.#client = client;
    this.#queue = queue;
    this.#events = events;
  }

  async add(jobs: Array<{ id: string; data: string[] }>): Promise<void> {
    await this.#queue.addBulk(jobs.map(({ id, data }) => ({
      name: 'forkpool',
      data: { f: JOB_FORMAT, t: data },
      opts: { jobId: id, attempts: JOB_ATTEMPTS, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } },
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

  /** Jobs applied: they leave Redis, with the results stored under their own keys. */
  async remove(ids: string[], refs: string[] = []): Promise<void> {
    await Promise.all([
      ...ids.map((id) => this.#queue.remove(id).catch(() => 0)),
      refs.length > 0 ? this.#client.del(...refs).catch(() => 0) : undefined,
    ]);
  }

  nodes(queue: string): Promise<Heartbeat[]> {
    return readNodes(this.#client, queue);
  }

  /** Never waits on Redis for more than about 2 s. */
  async close(): Promise<void> {
    this.health.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#events.close(), this.#queue.close()]),
      new Promise((r) => { timer = setTimeout(r, 1_000); }),
    ]);
    clearTimeout(timer);
    await closeRedis(this.#client);
  }
}
