// imapSettled's chunks and the item log (src/engine/split.ts): a worker that
// dies, or is killed for a timeout or memory, in the middle of a chunk fails
// only the item it was running. The items it had finished keep their
// outcomes, the items after it run once elsewhere, and nothing runs twice.
// Every death here is real: a process exit, a signal, V8 running out of heap,
// a kill for a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLimitError, TaskTimeoutError, WorkerCrashedError, type SettledItem } from 'forkpool';
import { executions, fixture, isThread, localOnly, makePool, runtime } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const LOCAL = localOnly('a distributed job carries no item log: a node\'s death fails or re-runs its whole job');
const SIGNALS = isThread && 'a signal would end the whole test process (threads share it)';

async function settle(it: AsyncIterable<SettledItem>): Promise<SettledItem[]> {
  const out: SettledItem[] = [];
  for await (const s of it) out.push(s);
  return out.sort((a, b) => a.index - b.index);
}

function runsFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'forkpool-item-log-')), 'runs.txt');
}

/** Every item but `at` succeeded with its own number and ran exactly once; returns `at`'s outcome and run count. */
function onlyOneFailed(results: SettledItem[], n: number, at: number, file: string): { error: Error; runs: number } {
  assert.equal(results.length, n);
  const runs = executions(file);
  for (const s of results) {
    if (s.index === at) continue;
    assert.ok(s.ok, `item ${s.index} failed: ${!s.ok && s.error.message}`);
    assert.equal(s.value, s.index);
    assert.equal(runs.get(s.index), 1, `item ${s.index} ran ${runs.get(s.index)} times`);
  }
  const culprit = results[at]!;
  assert.ok(!culprit.ok, `item ${at} succeeded`);
  return { error: culprit.error, runs: runs.get(at) ?? 0 };
}

/** How many items each task carried, from results that name their task. */
function chunkSizes(results: SettledItem[]): number[] {
  const sizes = new Map<string, number>();
  for (const s of results) if (s.ok) sizes.set((s.value as { task: string }).task, (sizes.get((s.value as { task: string }).task) ?? 0) + 1);
  return [...sizes.values()];
}

test('imapSettled grows its chunks on a long cheap input (one item per task on the distributed backend)', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const n = 20_000;
  const results = await settle(pool.imapSettled('keyed', range(n)));
  assert.deepEqual(results.map((s) => s.ok && (s.value as { x: number }).x), range(n));
  const sizes = chunkSizes(results);
  if (LOCAL) assert.deepEqual(sizes, Array(n).fill(1));
  else {
    assert.equal(sizes[0], 1, 'the first item went alone');
    assert.ok(sizes.length < n / 10, `${sizes.length} tasks for ${n} items`);
  }
});

for (const how of ['exit', 'SIGKILL', 'SIGSEGV'] as const) {
  test(`a worker that dies (${how}) inside a grown imapSettled chunk fails only the item it was running; every other item ran once`, { skip: LOCAL || (how !== 'exit' && SIGNALS) }, async () => {
    await using pool = await makePool(fixture('item-clock.mjs'), opts);
    const file = runsFile();
    const n = 4_000, at = 2_345;
    const results = await settle(pool.imapSettled('faultAt', range(n).map((i) => ({ n: i, at, file, how }))));
    const { error, runs } = onlyOneFailed(results, n, at, file);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    if (how !== 'exit') assert.equal(error.signal, how);
    assert.equal(runs, 1);
  });
}

// On the distributed backend too: a job's chunk runs on a node's local pool, which logs its items.
test('an explicit chunksize gets the same blame: the chunk that died loses nothing but its running item', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const file = runsFile();
  const results = await settle(pool.imapSettled('faultAt', range(500).map((i) => ({ n: i, at: 250, file, how: 'exit' })), { chunksize: 100 }));
  assert.ok(onlyOneFailed(results, 500, 250, file).error instanceof WorkerCrashedError);
});

test('an item stuck past the timeout inside a chunk fails alone with TaskTimeoutError; the rest of its chunk runs once elsewhere', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const file = runsFile();
  const results = await settle(pool.imapSettled('faultAt', range(3_000).map((i) => ({ n: i, at: 1_500, file, how: 'hang' })), { timeout: 500 }));
  const { error, runs } = onlyOneFailed(results, 3_000, 1_500, file);
  assert.ok(error instanceof TaskTimeoutError, String(error));
  assert.match(error.message, /^The item at index 1500 ran longer than its timeout of 500 ms/);
  assert.equal(runs, 1);
});

test('an item that runs V8 out of heap inside a chunk fails alone with MemoryLimitError', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, maxMemory: '64MB' });
  const file = runsFile();
  const results = await settle(pool.imapSettled('faultAt', range(2_000).map((i) => ({ n: i, at: 1_200, file, how: 'oom' }))));
  const { error, runs } = onlyOneFailed(results, 2_000, 1_200, file);
  assert.ok(error instanceof MemoryLimitError, String(error));
  assert.match(error.message, /while running the item at index 1200/);
  assert.equal(runs, 1);
});

test('with retries, only the crashing item runs again (on a fresh worker), and then succeeds', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, retries: 1 });
  const file = runsFile();
  const n = 3_000, at = 1_234;
  const results = await settle(pool.imapSettled('faultAt', range(n).map((i) => ({ n: i, at, file, how: 'once' }))));
  assert.ok(results.every((s) => s.ok && s.value === s.index));
  const runs = executions(file);
  assert.equal(runs.get(at), 2, 'the crashing item ran twice');
  assert.deepEqual([...runs].filter(([i, count]) => i !== at && count !== 1), [], 'every other item ran once');
});

test('map and imap with retries: a crash in a chunk runs again only the crashing item; no finished item runs twice', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, retries: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-item-log-'));
  const n = 3_000, at = 2_222;
  const mapFile = join(dir, 'map.txt');
  assert.deepEqual(await pool.map('faultAt', range(n).map((i) => ({ n: i, at, file: mapFile, how: 'once' }))), range(n));
  const imapFile = join(dir, 'imap.txt');
  const values: unknown[] = [];
  for await (const v of pool.imap('faultAt', range(n).map((i) => ({ n: i, at, file: imapFile, how: 'once' })))) values.push(v);
  assert.deepEqual(values, range(n));
  for (const [how, file] of [['map', mapFile], ['imap', imapFile]]) {
    const runs = executions(file!);
    assert.equal(runs.get(at), 2, `${how}: the crashing item ran twice`);
    assert.deepEqual([...runs].filter(([i, count]) => i !== at && count !== 1), [], `${how}: every other item ran once`);
  }
});

test('a chunk that could not be logged fails whole if its worker then dies: no item is wrongly blamed or run twice', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  // Item 2's result (a function) fits neither the log nor the channel; item 5 ends the worker.
  const results = await settle(pool.imapSettled('unloggableThenExit', range(10), { chunksize: 10 }));
  assert.equal(results.length, 10);
  for (const s of results) assert.ok(!s.ok && s.error instanceof WorkerCrashedError, `item ${s.index}: ${s.ok ? 'ok' : s.error}`);
});
