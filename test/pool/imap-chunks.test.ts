// imap and imapUnordered without a chunksize: chunks start at one item and
// grow as items prove cheap (src/pool/imap.ts). These pin what a caller can
// observe: order, the first results one by one, when chunks stay at one
// item, and what a crash inside a grown chunk does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerCrashedError } from 'forkpool';
import { executions, fixture, makePool, onRedis, runtime } from '../helpers.ts';

type Keyed = { x: number; task: string };
const opts = { processes: 2, runtime, logs: 'silent' } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** How many items each task (chunk) carried, in order of first appearance. */
function chunkSizes(rows: Keyed[]): number[] {
  const sizes = new Map<string, number>();
  for (const r of rows) sizes.set(r.task, (sizes.get(r.task) ?? 0) + 1);
  return [...sizes.values()];
}

test('imap grows its chunks on a long cheap input: input order, first items one per task, far fewer tasks than items', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const n = 20_000;
  const rows = await collect(pool.imap('keyed', range(n))) as Keyed[];
  assert.deepEqual(rows.map((r) => r.x), range(n));
  const sizes = chunkSizes(rows);
  assert.equal(sizes[0], 1, 'the first item went alone');
  assert.ok(sizes.length < n / 10, `${sizes.length} tasks for ${n} items`);
  assert.ok(Math.max(...sizes) <= 255, `a chunk of ${Math.max(...sizes)} items`);

  const unordered = await collect(pool.imapUnordered('keyed', range(n))) as Keyed[];
  assert.deepEqual(unordered.map((r) => r.x).sort((a, b) => a - b), range(n));
  assert.ok(chunkSizes(unordered).length < n / 10);
});

// imapSettled's chunks (which grow too, on an engine with an item log) are test/pool/item-log.test.ts's.
test('on a pool with retries imap grows its chunks only where items are logged (one item per task on the distributed backend); an explicit chunksize is kept', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const n = 2_000;
  await using retrying = await makePool(fixture('item-clock.mjs'), { ...opts, retries: 1 });
  const retried = chunkSizes(await collect(retrying.imap('keyed', range(n))) as Keyed[]);
  if (onRedis) assert.deepEqual(retried, Array(n).fill(1));
  else assert.ok(retried.length < n / 4, `${retried.length} tasks for ${n} items`);
  const fixed = await collect(pool.imap('keyed', range(n), { chunksize: 10 })) as Keyed[];
  assert.deepEqual(chunkSizes(fixed), Array(n / 10).fill(10));
});

test('an explicit readAhead still bounds a growing imap: chunks stay within two per worker of it', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const rows = await collect(pool.imap('keyed', range(5_000), { readAhead: 40 })) as Keyed[];
  assert.deepEqual(rows.map((r) => r.x), range(5_000));
  assert.ok(Math.max(...chunkSizes(rows)) <= 10, `a chunk of ${Math.max(...chunkSizes(rows))} items with readAhead 40`);
});

test('a crash inside a grown chunk ends imap with WorkerCrashedError after the items before that chunk, and the crashing item ran once', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const file = join(mkdtempSync(join(tmpdir(), 'forkpool-imap-')), 'runs.txt');
  const at = 2_500;
  const items = range(3_000).map((n) => ({ n, at, file }));
  const seen: number[] = [];
  await assert.rejects(async () => { for await (const v of pool.imap('countedExitAt', items)) seen.push(v as number); }, WorkerCrashedError);
  // Every value before the failed chunk, in order, and nothing from it or after it.
  assert.deepEqual(seen, range(seen.length));
  assert.ok(seen.length <= at, `${seen.length} values before a crash at ${at}`);
  assert.equal(executions(file).get(at), 1, 'the crashing item ran once');
  // The pool goes on.
  assert.deepEqual(await pool.map('keyed', [1, 2]).then((r) => (r as Keyed[]).map((x) => x.x)), [1, 2]);
});

test('with a timeout, a grown chunk is timed item by item: slow items inside the limit pass, a stuck one fails', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  // Ten 150 ms items in a row land in one chunk grown on cheap items: 1.5 s of chunk, each item well inside 400 ms.
  const items = range(4_000).map((x) => ({ x, slow: x >= 3_000 && x < 3_010 }));
  const back = await collect(pool.imap('slowIf', items, { timeout: 400 }));
  assert.deepEqual(back, range(4_000));
  const seen: unknown[] = [];
  await assert.rejects(async () => { for await (const v of pool.imap('stuckAtItem', range(3_000).map((x) => ({ x, at: 2_000 })), { timeout: 300 })) seen.push(v); }, { code: 'ERR_FORKPOOL_TASK_TIMEOUT' });
  assert.deepEqual(seen, range(seen.length).map((x) => x * 2));
  assert.ok(seen.length <= 2_000);
});
