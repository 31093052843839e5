/** Shared helpers for the test suites. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, resolve as resolvePath } from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool, type AnyModule, type PoolOptions } from 'forkpool';

/** The runtime this run of the suite exercises (scripts/test.mjs runs each suite once per runtime). */
export const runtime = (process.env.FORKPOOL_TEST_RUNTIME ?? 'process') as 'process' | 'thread';
export const isThread = runtime === 'thread';

export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `check` until it is true or `ms` pass; returns whether it became true. For OS state (pids) that has no event. */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number, every = 25): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(every);
  }
  return check();
}

/** How many times each task ran, from a side file where every execution appended its number as a line. */
export function executions(file: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  return counts;
}

// ── The conformance run: test/pool on the distributed backend ─────────────────
//
// With FORKPOOL_TEST_BACKEND=redis, `makePool` gives the same calls a pool on
// BullMQ/Redis instead of local workers: a private redis-server and, per task
// module, 2 `forkpool worker -j 1` nodes loading that module (a node runs only
// the module it was started with, and its queue is versioned by the module's
// hash, so each module needs its own pair). node --test runs each test file in
// its own process, so these start lazily once per file, are shared by its
// tests, and stop after its last test (the reaper kills them if it dies first).

/** `redis` in the conformance run (scripts/test.mjs `pool (redis)`), else undefined: local workers. */
export const backend = process.env.FORKPOOL_TEST_BACKEND === 'redis' ? 'redis' as const : undefined;
export const onRedis = backend === 'redis';

/**
 * For `test(name, { skip: localOnly('...') }, fn)`: the check is about local
 * workers (pids, signals to them, their memory, their options...), which a
 * distributed pool does not have in this process.
 */
export function localOnly(reason: string): string | false {
  return onRedis && `local-only, not on the redis backend: ${reason}`;
}

/** For `{ skip: redisBug('...') }`: a known bug of the redis backend, named, so the skip goes away with the fix. */
export function redisBug(what: string): string | false {
  return onRedis && `bug of the redis backend, open: ${what}`;
}

/** Options `makePool` may drop on the backend: there they describe the nodes (2 × `-j 1`, the run's runtime). */
const NODE_SHAPE = new Set(['processes', 'runtime']);

/**
 * `new Pool(module, opts)` locally; in the conformance run the same pool on
 * the backend: `processes` and `runtime` are dropped (the nodes have them),
 * every other option is kept, so a local-only one (`maxMemory`,
 * `initializer`...) is refused by the Pool as for a user: a test that needs
 * one must be skipped on the backend with its reason.
 *
 * `ownNodes`: on the backend, a node pair for this pool alone, for a test
 * that leaves a task that never ends running: terminate() aborts it on its
 * node, but the slot comes back only after the node's abort grace (1 s), so
 * a later test of the file would otherwise start with one node busy.
 */
export async function makePool<M extends object = AnyModule>(module: string | URL, opts: PoolOptions = {}, { ownNodes = false } = {}): Promise<Pool<M>> {
  return new Pool<M>(module, await poolOptions(module, opts, { ownNodes }));
}

/** The options `makePool` gives the Pool: `opts` locally, the backend's in the conformance run (for a pool built in a child process). */
export async function poolOptions(module: string | URL, opts: PoolOptions = {}, { ownNodes = false } = {}): Promise<PoolOptions> {
  if (!onRedis) return opts;
  const kept = Object.fromEntries(Object.entries(opts).filter(([k]) => !NODE_SHAPE.has(k)));
  return { ...kept, backend: await nodesFor(module, ownNodes) };
}

interface Cluster {
  redis: import('./helpers/redis.ts').RedisServer;
  nodes: ChildProcess[];
  queues: Map<string, Promise<{ redis: string; queue: string }>>;
}
let cluster: Promise<Cluster> | undefined;
const NODE_CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
/** A node loads the module in its local workers first; a .ts module through tsx on a busy machine takes a few seconds. */
const NODE_START_MS = 30_000;

if (onRedis) {
  after(async () => {
    if (!cluster) return;
    const { redis, nodes } = await cluster;
    // SIGKILL, not the SIGTERM drain: a test may have left a task that never ends on a node.
    // A node's own reaper then kills its local workers.
    await Promise.all(nodes.map((n) => new Promise<void>((resolve) => {
      if (n.exitCode !== null || n.signalCode !== null) return resolve();
      n.once('exit', () => resolve());
      n.kill('SIGKILL');
    })));
    await redis.stop();
  });
}

function modulePath(module: string | URL): string {
  if (module instanceof URL) return fileURLToPath(module);
  return module.startsWith('file:') ? fileURLToPath(module) : resolvePath(module);
}

/** The backend options of this file's Redis and the 2 nodes serving `module` (started on first use). */
async function nodesFor(module: string | URL, own: boolean): Promise<{ redis: string; queue: string }> {
  cluster ??= (async () => {
    const { startRedis, redisSkip } = await import('./helpers/redis.ts');
    if (redisSkip) throw new Error(`FORKPOOL_TEST_BACKEND=redis: ${redisSkip}`);
    return { redis: await startRedis(), nodes: [], queues: new Map() };
  })();
  const c = await cluster;
  const path = modulePath(module);
  // A queue name of its own keeps a pair's jobs away from every other pair of the same module.
  const key = own ? `${path}#${c.queues.size}` : path;
  let queue = c.queues.get(key);
  if (!queue) {
    const name = `pool-${c.queues.size}-${basename(path).replace(/[^\w.-]/g, '_')}`;
    queue = Promise.all([startNode(c, path, name), startNode(c, path, name)]).then(() => ({ redis: c.redis.url, queue: name }));
    c.queues.set(key, queue);
  }
  return queue;
}

/** One `forkpool worker -j 1` (a real process, given to the reaper); resolves once it takes jobs. */
async function startNode(c: Cluster, path: string, queue: string): Promise<void> {
  const { watchPid, forgetPid } = await import('../src/runtime/reaper.ts');
  const child = spawn(process.execPath, [NODE_CLI, 'worker', path, '--redis', c.redis.url, '--queue', queue, '-j', '1', '--runtime', runtime], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  c.nodes.push(child);
  watchPid(child.pid!);
  child.once('exit', () => forgetPid(child.pid!));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`forkpool worker for ${path} not ready within ${NODE_START_MS} ms: ${err}`)), NODE_START_MS);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(' slots on queue ')) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`forkpool worker for ${path} exited with ${code}: ${err}`)); });
  });
}
