import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { DataCloneError, Manager, Pool, WorkerCrashedError, UnknownTaskError, type LogLine } from 'forkpool';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('a distributed pool on two nodes', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let nodes: NodeProcess[] = [];
  let pool: Pool<typeof tasks>;
  const queue = 'roundtrip';

  before(async () => {
    redis = await startRedis();
    nodes = await Promise.all([startNode(redis.url, queue), startNode(redis.url, queue)]);
    pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue } });
    await pool.ready();
  });

  after(async () => {
    await pool?.terminate();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  test('apply, map and imap return the same values as a local pool', async () => {
    assert.equal(await pool.apply('double', [21]), 42);
    assert.equal(await pool.apply('add', [2, 3]), 5);
    const items = Array.from({ length: 1000 }, (_, i) => i);
    assert.deepEqual(await pool.map('double', items), items.map((x) => x * 2));
    assert.deepEqual(await pool.starmap('add', [[1, 2], [3, 4]]), [3, 7]);
    const seen: number[] = [];
    for await (const v of pool.imap('double', items.slice(0, 200))) seen.push(v);
    assert.deepEqual(seen, items.slice(0, 200).map((x) => x * 2));
    const buf = await pool.apply('bytes', [16]);
    assert.ok(Buffer.isBuffer(buf) || buf instanceof Uint8Array, 'binary values cross as bytes');
    assert.equal(buf.length, 16);
  });

  test('both nodes take work, and capacity is their slots', async () => {
    assert.equal(pool.stats().workers.length, 2);
    const where = await pool.map('whereAmI', Array.from({ length: 64 }, () => undefined as never), { chunksize: 1 });
    const nodePids = new Set(where.map((w) => w.node));
    assert.deepEqual([...nodePids].sort(), nodes.map((n) => n.pid).sort());
  });

  test("a task's error keeps its name, message, code and own properties", async () => {
    const err = await pool.apply('fail', ['boom']).then(() => assert.fail('should reject'), (e: unknown) => e as RangeError & { code: string; detail: unknown });
    assert.ok(err instanceof RangeError);
    assert.equal(err.name, 'RangeError');
    assert.equal(err.message, 'boom');
    assert.equal(err.code, 'E_CUSTOM');
    assert.deepEqual(err.detail, { n: 1 });
  });

  test('a task that crashes its local worker fails alone with WorkerCrashedError, and the node serves on', async () => {
    const crash = pool.apply('crash', []);
    const others = Array.from({ length: 20 }, (_, i) => pool.apply('double', [i]));
    await assert.rejects(crash, (e: unknown) => e instanceof WorkerCrashedError && (e as WorkerCrashedError).code === 'ERR_FORKPOOL_WORKER_CRASHED');
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i * 2));
    assert.equal(await pool.apply('double', [5]), 10);
    assert.ok(nodes.every((n) => n.child.exitCode === null), 'no node died');
  });

  test('a task that SIGKILLs its own process, with retries: 2, ends with WorkerCrashedError listing every attempt (signal, pid, host)', async () => {
    const retrying = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue }, retries: 2 });
    const err = await retrying.apply('crash', []).then(() => assert.fail('should reject'), (e: unknown) => e as WorkerCrashedError);
    await retrying.terminate();
    assert.ok(err instanceof WorkerCrashedError, String(err));
    assert.equal(err.signal, 'SIGKILL');
    const attempts = err.attempts as ReadonlyArray<{ signal: string | null; pid: number; host: string }>;
    assert.equal(attempts.length, 3, 'the first run and 2 retries');
    for (const a of attempts) {
      assert.equal(a.signal, 'SIGKILL');
      assert.ok(Number.isInteger(a.pid) && a.pid > 0, `pid ${a.pid}`);
      assert.equal(a.host, hostname());
    }
    assert.equal(new Set(attempts.map((a) => a.pid)).size, 3, 'each attempt in a fresh worker process');
    assert.match(err.message, /3 attempts: SIGKILL, SIGKILL, SIGKILL/);
  });

  test('a shared object as an argument fails that task alone with DataCloneError; the next task runs', async () => {
    await using m = new Manager();
    const lock = m.lock();
    await assert.rejects(pool.apply('add', [lock as unknown as number, 1]), (e: unknown) => {
      assert.ok(e instanceof DataCloneError, String(e));
      assert.equal((e as DataCloneError).code, 'ERR_FORKPOOL_DATA_CLONE');
      assert.match((e as Error).message, /task "add".*shared objects/);
      return true;
    });
    assert.deepEqual(await pool.map('double', [1, 2]), [2, 4]);
  });

  test("a task's output lines return with its result to the client's logs handler, at most 64 KB per job", async () => {
    const lines: LogLine[] = [];
    const logging = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue }, logs: (line) => lines.push(line) });
    try {
      assert.equal(await logging.apply('chatty', [3]), 3);
      // Ordered per stream (stdout and stderr are assembled apart, as locally).
      assert.deepEqual(lines.filter((l) => l.stream === 'stdout').map((l) => l.text), ['line 0 ..........', 'line 1 ..........', 'line 2 ..........']);
      assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['to stderr']);
      assert.ok(lines.every((l) => l.workerId > 0 && typeof l.taskId === 'number' && l.time > 0), JSON.stringify(lines[0]));
      // 200 lines of 1 KB: about 64 lines come back, then one line saying how many were dropped.
      lines.length = 0;
      assert.equal(await logging.apply('chatty', [200, 1_000]), 200);
      const bytes = lines.filter((l) => l.text.startsWith('line ')).reduce((n, l) => n + l.text.length, 0);
      assert.ok(bytes <= 64 * 1024 && bytes > 60 * 1024, `${bytes} bytes of lines returned`);
      assert.equal(lines.filter((l) => /^\[forkpool\] \d+ line\(s\) of output dropped on node /.test(l.text)).length, 1, 'one line says how many were dropped');
    } finally {
      await logging.terminate();
    }
  });

  test("an unknown task name rejects with UnknownTaskError listing the nodes' exports", async () => {
    await assert.rejects(pool.apply('nope' as 'double', [1]), (e: unknown) => {
      assert.ok(e instanceof UnknownTaskError);
      assert.ok((e as UnknownTaskError).exports.includes('double'));
      return true;
    });
  });

  test('each task settles once: callbacks run once and no duplicate outcome is counted', async () => {
    let calls = 0;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.applyAsync('double', [i], { callback: () => { calls++; } }).get()));
    assert.equal(calls, 50);
    assert.equal(results[49], 98);
    assert.equal((pool.stats() as { duplicates?: number }).duplicates, 0);
  });
});
