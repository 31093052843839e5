/**
 * A journaled map knows its whole input, so without a `chunksize` it cuts
 * chunks by the engine's hint (src/pool/chunking.ts upfrontChunksize): small
 * ones locally, larger ones through Redis, where each job costs round trips.
 * It once sent one item per task, which made a journaled map on the
 * distributed backend run about 1,000 items/s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as basic from '../fixtures/basic.ts';
import { fixture, localOnly, makePool, onRedis, runtime } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-journal-chunks-'));
  try { await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('a journaled map without chunksize sends its items in chunks (2 slots, 2,000 items), records each item once, and a rerun reads them back', async () => {
  await withDir(async (dir) => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    // Through Redis the slots are known once the nodes' heartbeats were read.
    await pool.ready();
    const n = 2_000;
    const journal = join(dir, 'run.journal');
    const keys = await pool.map('taskKey', Array.from({ length: n }, () => undefined), { journal });
    // Local hint: at most 32 items, 64 chunks per slot → 15 items; through Redis: at most 1,000, 8 per slot → 125.
    const per = onRedis ? 125 : 15;
    const tasks = new Map<string, number>();
    for (const k of keys) tasks.set(k, (tasks.get(k) ?? 0) + 1);
    assert.equal(tasks.size, Math.ceil(n / per), `tasks: ${tasks.size}`);
    assert.ok([...tasks.values()].every((c) => c <= per), 'no chunk above the cut');
    const records = readFileSync(journal, 'utf8').trim().split('\n').slice(1);
    assert.equal(records.length, n, 'one record per item');
    // Everything is recorded: a second run returns the same values without running anything.
    const again = await pool.map('taskKey', Array.from({ length: n }, () => undefined), { journal });
    assert.deepEqual(again, keys);
  });
});

test('a journaled map with a timeout and no chunksize keeps one item per task, so each item has its own clock', async () => {
  await withDir(async (dir) => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const keys = await pool.map('taskKey', Array.from({ length: 40 }, () => undefined), { journal: join(dir, 'run.journal'), timeout: 30_000 });
    assert.equal(new Set(keys).size, 40);
  });
});

test('a journaled map with an explicit chunksize uses it', async () => {
  await withDir(async (dir) => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const keys = await pool.map('taskKey', Array.from({ length: 100 }, () => undefined), { journal: join(dir, 'run.journal'), chunksize: 25 });
    assert.equal(new Set(keys).size, 4);
  });
});

test('on a resume, a crash names its item by the index in the caller\'s input, as the first run did (the journal gives the pool only the items left)', { skip: localOnly('a node words its own crash errors') }, async () => {
  await withDir(async (dir) => {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const journal = join(dir, 'run.journal');
    const items = Array.from({ length: 10 }, (_, i) => [i, 7]);
    const crashes = async () => {
      const out: string[] = [];
      for await (const s of pool.imapSettled('exitOn', items, { journal, spread: true })) if (!s.ok) out.push(`${s.index}: ${s.error.message}`);
      return out;
    };
    const first = await crashes();
    assert.equal(first.length, 1);
    assert.match(first[0]!, /^7: .* exited with code 3 while running the item at index 7/);
    // The resume runs only item 7 again (recorded failures run again by default): position 0 of what the pool is given.
    const again = await crashes();
    assert.equal(again.length, 1);
    assert.match(again[0]!, /^7: .* exited with code 3 while running the item at index 7/);
  });
});
