/**
 * Loads bullmq and ioredis on first use (the local default never does) and
 * opens a Redis connection that fails fast: the first connection gets
 * CONNECT_TIMEOUT_MS and no retries, so a bad URL, a wrong password, a
 * database the server does not have or a missing server is a
 * RedisConnectionError within seconds, never a hang (nor db 0 instead).
 * Once connected, it reconnects with a backoff like any BullMQ client.
 */
import type * as BullMQ from 'bullmq';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { MissingDependencyError, RedisConnectionError } from './errors.js';
import { importPackage } from './import-package.js';
import { CONNECT_TIMEOUT_MS, redactUrl } from './settings.js';

export type Bull = typeof BullMQ;
export type { RedisClient };

export interface Libraries {
  bull: Bull;
  Redis: new (url: string, opts: RedisOptions) => RedisClient;
}

let loading: Promise<Libraries> | undefined;

export function loadLibraries(): Promise<Libraries> {
  loading ??= (async () => {
    let bull: Bull;
    let ioredis: { default?: unknown; Redis?: unknown };
    try { ioredis = await importPackage('ioredis') as typeof ioredis; } catch (err) { throw new MissingDependencyError('ioredis', err); }
    try { bull = await importPackage('bullmq') as Bull; } catch (err) { throw new MissingDependencyError('bullmq', err); }
    const Redis = (ioredis.Redis ?? ioredis.default) as Libraries['Redis'];
    return { bull, Redis };
  })();
  loading.catch(() => { loading = undefined; });
  return loading;
}

/** Reconnect backoff once connected: quick first retries, then every 2 s. */
function reconnectDelay(times: number): number {
  return Math.min(100 * 2 ** times, 2_000);
}

/**
 * A connected client, or a RedisConnectionError. `maxRetriesPerRequest: null`
 * (BullMQ's requirement for its blocking commands): commands wait out a
 * reconnect instead of failing.
 */
export async function connectRedis(libs: Libraries, url: string, name: string): Promise<RedisClient> {
  const shown = redactUrl(url);
  let lastError: Error | undefined;
  const client = new libs.Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectionName: name,
    // No retries until the first connection succeeded: fail fast instead.
    retryStrategy: () => null,
  });
  client.on('error', (err: Error) => { lastError = err; });
  // ioredis sends the URL's SELECT during its handshake and only emits a refusal
  // as an 'error' event, then goes on in db 0: selected again here, a db the
  // server does not have ("ERR DB index is out of range") fails the connection.
  const db = client.options.db ?? 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()).then(() => (db ? client.select(db) : undefined)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    const reason = describe(lastError ?? err, db);
    throw new RedisConnectionError(shown, reason, lastError ?? err);
  } finally {
    clearTimeout(timer);
  }
  client.options.retryStrategy = reconnectDelay;
  return client;
}

/**
 * A refusal met while setting up after the connection (an ACL user without
 * the `forkpool:*` keys: NOPERM; a command disabled...) as a
 * RedisConnectionError naming the reason; other errors pass through.
 */
export function setupError(url: string, err: unknown): unknown {
  if (err instanceof RedisConnectionError) return err;
  // A refused MULTI reports EXECABORT; the reason is its first queued error.
  const first = (err as { previousErrors?: Error[] })?.previousErrors?.[0];
  if (first && /^EXECABORT/.test((err as Error).message)) err = first;
  const msg = (err as Error)?.message ?? '';
  if (!/^(NOPERM|NOAUTH|WRONGPASS|ERR unknown command|ERR .*disabled)/.test(msg)) return err;
  return new RedisConnectionError(redactUrl(url), describe(err), err);
}

function describe(err: unknown, db = 0): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e?.message ?? String(err);
  if (/DB index is out of range/i.test(msg)) return `the server has no database ${db} (${msg}; redis.conf's \`databases\` sets how many it has, 16 by default)`;
  if (/WRONGPASS|NOAUTH|invalid username-password/i.test(msg)) return `authentication failed (${msg})`;
  if (/NOPERM/.test(msg)) return `permission denied (${msg})`;
  if (e?.code === 'ECONNREFUSED') return 'connection refused (is redis-server running there?)';
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return `host not found (${msg})`;
  // ioredis's parser met a first byte no Redis reply starts with (its text asks to report it as a bug).
  const resp = /Unknown RESP type \d+ ("[^"]*")/.exec(msg);
  if (resp) return `the server there does not speak the Redis protocol (its answer began with ${resp[1]}): is this the port of a Redis server?`;
  return msg;
}

/** Closes a client without waiting longer than `ms` for Redis to answer QUIT. */
export async function closeRedis(client: RedisClient | undefined, ms = 1_000): Promise<void> {
  if (!client || client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.quit().catch(() => undefined),
    new Promise((r) => { timer = setTimeout(r, ms); }),
  ]);
  clearTimeout(timer);
  client.disconnect();
}
