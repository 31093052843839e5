/**
 * The chaos suite through chunks: imapSettled over items with real faults
 * mixed in, its chunks growing and every item logged as it finishes
 * (src/engine/split.ts). A fault must cost only its own item, as one item per
 * task would: every other item succeeds and runs exactly once, whatever chunk
 * it shared with a segfault, an exit, a hang or a heap blow-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, WorkerCrashedError, TaskTimeoutError, MemoryLimitError, type SettledItem } from 'forkpool';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executions, fixture, runtime, isThread, pidAlive } from '../helpers.ts';
import { faultPlan } from './fault-plan.ts';

const ITEMS = 1500;
const MIX = { kill: 0.01, exit: 0.01, throw: 0.01, hang: 0.003, oom: 0.004 } as const;
/** Long enough for a heap blow-up to reach the cap on a loaded machine (1.3 s at load 14, past 3 s once under a busier one); a hang costs this once. */
const ITEM_TIMEOUT_MS = 5000;
const RETRIES = 1;

test(`chaos through chunks: imapSettled over ${ITEMS} items with kills, exits, throws, hangs and heap blow-ups fails only the faulty items (${runtime})`, async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100000);
  // The first 200 items are healthy, so chunks have grown before the first fault.
  const kinds = faultPlan(seed, ITEMS, MIX, 200);
  const pool = new Pool(fixture('chaos.mjs'), { processes: 2, runtime, logs: 'silent', maxMemory: '64MB', retries: RETRIES });
  const runs = join(mkdtempSync(join(tmpdir(), 'fp-chaos-chunks-')), 'runs.txt');
  const pids = new Set<number>();
  pool.on('workerStart', ({ pid }) => { if (pid !== undefined) pids.add(pid); });
  const settled: SettledItem[] = [];
  const lists = kinds.map((kind, i) => [kind, i, runtime, runs]);
  for await (const s of pool.imapSettled('fault', lists, { spread: true, timeout: ITEM_TIMEOUT_MS })) settled[s.index] = s;
  assert.equal(settled.filter(Boolean).length, ITEMS, 'every item settled once');

  const executed = executions(runs);
  const tally: Record<string, number> = {};
  kinds.forEach((kind, i) => {
    tally[kind] = (tally[kind] ?? 0) + 1;
    const s = settled[i]!;
    const n = executed.get(i) ?? 0;
    const why = `item ${i} (${kind}, seed ${seed}) ran ${n} times`;
    if (kind === 'ok') {
      assert.ok(s.ok && s.value === i * 2, `${why}: ${s.ok ? s.value : s.error}`);
      assert.equal(n, 1, why);
      return;
    }
    assert.ok(!s.ok, `${why}: succeeded`);
    const err = s.error;
    switch (kind) {
      case 'kill':
        assert.ok(err instanceof WorkerCrashedError, `${why}: ${err}`);
        if (isThread) assert.equal(err.exitCode, 137, why);
        else assert.equal(err.signal, 'SIGKILL', why);
        assert.equal(n, 1 + RETRIES, why);
        break;
      case 'exit':
        assert.ok(err instanceof WorkerCrashedError, `${why}: ${err}`);
        assert.equal(err.exitCode, 7, why);
        assert.equal(n, 1 + RETRIES, why);
        break;
      case 'throw':
        assert.equal(err.message, `thrown by ${i}`, why);
        assert.equal(n, 1, why);
        break;
      case 'hang':
        assert.ok(err instanceof TaskTimeoutError, `${why}: ${err}`);
        assert.equal(n, 1, why);
        break;
      case 'oom':
        assert.ok(err instanceof MemoryLimitError, `${why}: ${err}`);
        // Not retried, whichever cap (RSS or V8 heap) it met first.
        assert.equal(n, 1, why);
        break;
    }
  });
  const s = pool.stats();
  console.log(`chaos-chunks ${runtime} seed=${seed}: ${ITEMS} items ${JSON.stringify(tally)}; stats ${JSON.stringify({ completed: s.completed, failed: s.failed, retried: s.retried })}; ${pids.size} worker processes`);
  pool.close();
  await pool.join();
  if (!isThread) assert.deepEqual([...pids].filter(pidAlive), [], 'no worker process outlives join()');
});
