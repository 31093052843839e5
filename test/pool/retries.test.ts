/** Retries of crashed (or, when asked, failed) tasks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError } from 'forkpool';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backend, executions, fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('retries re-run a task whose worker crashed, on a fresh worker', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 1 });
  assert.equal(await pool.apply('crashOnFirstAttempt'), 2);
  assert.equal(pool.stats().retried, 1);
});

test('a retry waiting for a fresh worker does not hold back the tasks a live worker can take meanwhile', { skip: localOnly('a node starts its own workers; the retry is the queue\'s, in BullMQ') }, async () => {
  // Every worker after the first two takes 1.5 s to start: the crashed one's replacement comes late.
  await using pool = new Pool(fixture('flaky.mjs'), { ...opts, retries: 1, initializer: 'slowAfter', initargs: [2, 1500] });
  await pool.ready();
  const file = join(mkdtempSync(join(tmpdir(), 'forkpool-retry-lane-')), 'runs.txt');
  const died = new Promise<number>((resolve) => pool.on('workerExit', (e) => resolve(e.workerId)));
  const crashing = pool.apply('countThenCrashOnFirstAttempt', [file, 0, 50]);
  const dead = await died;
  // Submitted while the retry waits for the replacement: the surviving worker runs them now.
  const ids = await Promise.all([1, 2, 3, 4, 5].map((x) => pool.apply('countWhere', [file, x])));
  assert.ok(ids.every((id) => id !== dead && id <= 2), `ran on workers ${ids}`);
  assert.equal(await crashing, 3);
  // Before, the retry at the queue's head held them until worker 3 was ready, and ran first.
  assert.deepEqual(readFileSync(file, 'utf8').trim().split('\n').map(Number), [0, 1, 2, 3, 4, 5, 0]);
});

test('a task that crashes more than `retries` times rejects with the crash error listing every attempt', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2 });
  const err = await pool.apply('alwaysCrash').catch((e) => e);
  assert.ok(err instanceof WorkerCrashedError);
  assert.equal(err.attempts.length, 3);
  assert.deepEqual(err.attempts.map((a: { exitCode: number }) => a.exitCode), [5, 5, 5]);
  assert.match(err.message, /3 attempts/);
});

test('a task that threw is not retried, unless retryOn is "error"', async () => {
  {
    await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2 });
    await assert.rejects(pool.apply('throwOnFirstAttempt'), { message: 'transient' });
  }
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2, retryOn: 'error' });
  assert.equal(await pool.apply('throwOnFirstAttempt'), 2);
});

test('with retryOn "error", a chunk runs again only its items that threw: map and imapSettled, nothing else runs twice', async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, retries: 1, retryOn: 'error' });
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-retry-chunk-'));
  for (const [how, file] of [['map', join(dir, 'map.txt')], ['imapSettled', join(dir, 'settled.txt')]] as const) {
    const items = Array.from({ length: 200 }, (_, n) => ({ n, at: 107, file }));
    const results = how === 'map'
      ? await pool.map('throwOnceAt', items, { chunksize: 20 }) as Array<{ n: number; attempt: number }>
      : await (async () => {
        const out: Array<{ n: number; attempt: number }> = [];
        for await (const s of pool.imapSettled('throwOnceAt', items, { chunksize: 20 })) {
          assert.ok(s.ok, `item ${s.index} failed`);
          out[s.index] = s.value as { n: number; attempt: number };
        }
        return out;
      })();
    assert.deepEqual(results.map((r) => r.n), items.map((x) => x.n), how);
    assert.equal(results[107]!.attempt, 2, `${how}: the item that threw succeeded on its second attempt`);
    assert.ok(results.every((r, i) => i === 107 || r.attempt === 1), `${how}: every other item ran in the first attempt`);
    const runs = executions(file);
    assert.equal(runs.get(107), 2);
    assert.deepEqual([...runs].filter(([n, count]) => n !== 107 && count !== 1), [], `${how}: every other item ran once`);
  }
});

test('with retryOn "error", a result that cannot be cloned fails at once with DataCloneError and never runs again: apply, and one item of a chunk beside one that threw', async () => {
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 3, retryOn: 'error' });
  const file = join(mkdtempSync(join(tmpdir(), 'forkpool-retry-clone-')), 'runs.txt');
  await assert.rejects(pool.apply('recordThen', [file, 0, 'unclonable']), { name: 'DataCloneError', code: 'ERR_FORKPOOL_DATA_CLONE' });
  assert.equal(executions(file).get(0), 1, 'the task ran once');
  if (!backend) assert.equal(pool.stats().retried, 0);
  const items = [[1, 'ok'], [2, 'throw'], [3, 'unclonable'], [4, 'ok']].map(([n, how]) => [file, n, how] as const);
  const settled: Array<{ ok: boolean; value?: unknown; error?: unknown }> = [];
  for await (const s of pool.imapSettled('recordThen', items, { chunksize: 4, spread: true })) settled[s.index] = s;
  assert.deepEqual(settled.map((s) => s.ok), [true, true, false, true]);
  assert.equal(settled[1]!.value, 2, 'the item that threw succeeded on its retry');
  assert.equal((settled[2]!.error as Error).name, 'DataCloneError');
  const runs = executions(file);
  assert.deepEqual([1, 2, 3, 4].map((n) => runs.get(n)), [1, 2, 1, 1], 'only the item that threw ran twice');
  // On Redis a node retries a thrown error in its own pool; the caller's stats see only the outcome.
  if (!backend) assert.equal(pool.stats().retried, 1);
  assert.equal(pool.stats().failed.error, 2, 'the two clone failures');
});

test('a retry gets a timeout clock of its own: a task that threw late in its first attempt finishes its second on the same worker', async () => {
  // Each attempt takes 1.5 s of a 2.5 s timeout. The first attempt's clock, if it were still
  // running, would run out 1 s into the second one and kill it as timed out.
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, processes: 1, retries: 1, retryOn: 'error' });
  const exits: unknown[] = [];
  pool.on('workerExit', (e) => exits.push(e));
  assert.equal(await pool.apply('slowThrowOnFirstAttempt', [1_500], { timeout: 2_500 }), 2);
  assert.deepEqual(exits, [], 'no worker was killed');
});

test('a task retried after crashes leaves no timer behind: once the pool has joined, nothing of it keeps the process alive', { skip: localOnly('the timers of a local pool, in this process') }, async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const pool = await makePool(fixture('flaky.mjs'), { ...opts, retries: 2 });
  // Three attempts, each with a one-minute clock: a clock left armed holds the process for that minute.
  await assert.rejects(pool.apply('alwaysCrash', [], { timeout: 60_000 }), WorkerCrashedError);
  pool.close();
  await pool.join();
  assert.equal(timers(), before, `timers still armed: ${process.getActiveResourcesInfo().join(', ')}`);
});
