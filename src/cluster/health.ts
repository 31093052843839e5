/**
 * Watches the client's Redis connection so that nothing waits forever:
 *
 * - **Unavailable.** Commands wait out a reconnect (BullMQ needs
 *   `maxRetriesPerRequest: null`), so a Redis that stays away would leave
 *   every task pending. From the moment the connection is lost, a clock runs;
 *   past `unavailableTimeout` the engine fails what is outstanding with
 *   RedisConnectionError and refuses new tasks until Redis is back.
 *   A Redis that stops answering on an open connection (frozen: SIGSTOP, a
 *   hung host, a link that drops packets without a reset) never closes it,
 *   so while the pool has work a PING is kept in flight (one at a time, a
 *   new one at the first tick after the last answer): the clock also runs
 *   from the moment the PING still unanswered was sent. Its answer is Redis back
 *   (`back`, as a reconnect is), the connection never having closed.
 * - **Data lost.** On connecting, the client adopts the queue's epoch key
 *   (created by the first client). After every reconnect, and every
 *   CHECK_MS while connected, the key must still hold the same value: if not,
 *   Redis came back empty (no persistence, FLUSHALL, an empty replica) and
 *   jobs in it are gone, so the engine breaks with RedisDataLostError rather
 *   than wait for results that will never come.
 * - **Settings.** Once per Redis (URL) and process, a warning if
 *   `maxmemory-policy` is not `noeviction` (Redis may evict jobs) or nothing
 *   persists (a restart loses them).
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connect.js';
import { RedisConnectionError, RedisDataLostError } from './errors.js';
import { EPOCH_CHECK_MS, epochKey } from './settings.js';

/** Clock resolution of the unavailable timeout and period of the epoch check while connected. */
const CHECK_MS = 1_000;
/** The epoch is read again while connected this often (a failover can swap the server under a live socket). */
const EPOCH_PERIOD_MS = 5_000;

/** KEYS[1] the epoch key, ARGV[1] a new epoch: returns the key's value, set to ARGV[1] if it had none. */
const ADOPT_EPOCH_LUA = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

const warned = new Set<string>();

export interface HealthHooks {
  /** Redis unavailable longer than the timeout: fail what is outstanding (the engine decides what that is). */
  unavailable(err: RedisConnectionError): void;
  /** Redis lost the pool's data: break. */
  dataLost(err: RedisDataLostError): void;
  /** Redis answers again after an outage reported while the connection stayed open (no 'ready' comes). */
  back(): void;
}

export class RedisHealth {
  readonly #client: RedisClient;
  readonly #url: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #hooks: HealthHooks;
  #epoch = '';
  #downSince = 0;
  /** When the PING in flight was sent; 0: none in flight. */
  #pingSince = 0;
  /** The pool has work (ref): only then is Redis pinged; an idle pool costs Redis nothing but the epoch check. */
  #busy = false;
  #reported = false;
  #lastEpochCheck = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(client: RedisClient, url: string, queueName: string, timeoutMs: number, hooks: HealthHooks) {
    this.#client = client;
    this.#url = url;
    this.#key = epochKey(queueName);
    this.#timeoutMs = timeoutMs;
    this.#hooks = hooks;
    client.on('close', () => { if (!this.#downSince) this.#downSince = Date.now(); });
    client.on('ready', () => {
      this.#downSince = 0;
      // A PING sent before the connection was lost belongs to it; the next tick sends one on this one.
      this.#pingSince = 0;
      this.#reported = false;
      // Soon, not at once: the first commands after a reconnect may still be replaying.
      this.#lastEpochCheck = Date.now() - EPOCH_PERIOD_MS + EPOCH_CHECK_MS;
    });
    this.#timer = setInterval(() => this.#tick(), CHECK_MS);
  }

  /** Adopts (or creates) the queue's epoch, and warns once about risky Redis settings. */
  async start(): Promise<void> {
    // One script, not SET NX then GET: a FLUSHALL between the two left the epoch read as
    // missing (''), which switched the data-loss check off for the rest of the run.
    this.#epoch = String(await this.#client.eval(ADOPT_EPOCH_LUA, 1, this.#key, randomBytes(8).toString('hex')));
    this.#lastEpochCheck = Date.now();
    await warnAboutSettings(this.#client, this.#url);
  }

  /** Redis has been away longer than the timeout: new tasks are refused with this error. */
  get outage(): RedisConnectionError | undefined {
    const since = this.#awaySince();
    if (!since || Date.now() - since < this.#timeoutMs) return undefined;
    return this.#error(since);
  }

  /** Since when Redis has not answered: the connection lost, or the PING still in flight sent; 0 if it answers. */
  #awaySince(): number {
    if (this.#downSince && this.#pingSince) return Math.min(this.#downSince, this.#pingSince);
    return this.#downSince || this.#pingSince;
  }

  #error(since: number): RedisConnectionError {
    const s = Math.round((Date.now() - since) / 1000);
    return new RedisConnectionError(this.#url, `unavailable for ${s} s (more than unavailableTimeout, ${this.#timeoutMs} ms)`);
  }

  #tick(): void {
    if (this.#stopped) return;
    const since = this.#awaySince();
    if (since && !this.#reported && Date.now() - since >= this.#timeoutMs) {
      this.#reported = true;
      this.#hooks.unavailable(this.#error(since));
    }
    // Lost: the reconnect's 'ready' ends the outage. Unanswered: nothing more is piled up behind the PING.
    if (this.#downSince || this.#pingSince) return;
    if (this.#busy) this.#ping();
    if (this.#epoch && Date.now() - this.#lastEpochCheck >= EPOCH_PERIOD_MS) void this.#checkEpoch();
  }

  #ping(): void {
    if (this.#client.status !== 'ready') return;
    const sent = Date.now();
    this.#pingSince = sent;
    const answered = () => {
      if (this.#pingSince !== sent) return;
      this.#pingSince = 0;
      // Reported while the connection stayed open: no 'ready' will say Redis is back, this answer does.
      if (this.#reported && !this.#downSince && !this.#stopped) {
        this.#reported = false;
        this.#lastEpochCheck = Date.now() - EPOCH_PERIOD_MS + EPOCH_CHECK_MS;
        this.#hooks.back();
      }
    };
    // A refusal (a command disabled...) is an answer too: Redis is there.
    this.#client.ping().then(answered, answered);
  }

  async #checkEpoch(): Promise<void> {
    this.#lastEpochCheck = Date.now();
    let now: string | null;
    try {
      now = await this.#client.get(this.#key);
    } catch {
      return; // away again: checked after the next reconnect
    }
    if (this.#stopped || now === this.#epoch) return;
    this.#stopped = true;
    this.#hooks.dataLost(new RedisDataLostError(this.#url));
  }

  /** The clock keeps the process alive only while the pool has work. */
  ref(busy: boolean): void {
    this.#busy = busy;
    if (busy) this.#timer?.ref();
    else this.#timer?.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** A warning per Redis and process when jobs could be evicted or lost in a restart. */
async function warnAboutSettings(client: RedisClient, url: string): Promise<void> {
  if (warned.has(url)) return;
  warned.add(url);
  let policy: string | undefined;
  let aof: boolean | undefined;
  let save: string | undefined;
  try {
    const [, p] = await client.config('GET', 'maxmemory-policy') as string[];
    const [, a] = await client.config('GET', 'appendonly') as string[];
    const [, s] = await client.config('GET', 'save') as string[];
    policy = p; aof = a === 'yes'; save = s;
  } catch {
    // CONFIG is often refused (ACLs, managed Redis); INFO tells the policy and AOF.
    try {
      const info = await client.info('memory') + await client.info('persistence');
      policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
      aof = /aof_enabled:1/.test(info);
    } catch { return; }
  }
  const problems: string[] = [];
  if (policy && policy !== 'noeviction') problems.push(`maxmemory-policy is ${policy}, not noeviction: Redis may evict jobs under memory pressure`);
  if (aof === false && save !== undefined && save.trim() === '') problems.push('nothing persists (appendonly no, no save points): a restart loses every job');
  if (problems.length) process.emitWarning(`Redis at ${url}: ${problems.join('; ')}. See docs/distributed.md#redis`, { code: 'FORKPOOL_REDIS_SETTINGS' });
}
