/**
 * What `imapSettled` reports per item: each item's own run time (also inside
 * a chunk), when it ended, and argument lists spread with `spread: true`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, type SettledItem } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool } from '../helpers.ts';

const opts = { processes: 1, runtime, logs: 'silent' } as const;
const SLOW_MS = 200;

test('a chunk with one slow item reports that item\'s run time, not the chunk\'s average', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  // One chunk of 8: item 3 sleeps SLOW_MS, the others 0 ms.
  const items = Array.from({ length: 8 }, (_, i): [number, number] => [i, i === 3 ? SLOW_MS : 0]);
  const got: Array<SettledItem<number>> = [];
  for await (const s of pool.imapSettled('slowDouble', items, { spread: true, chunksize: 8, ordered: true })) got.push(s);
  assert.deepEqual(got.map((s) => s.ok && s.value), [0, 2, 4, 6, 8, 10, 12, 14]);
  assert.ok(got[3]!.ms >= SLOW_MS * 0.9, `slow item: ${got[3]!.ms} ms`);
  for (const s of got.filter((x) => x.index !== 3)) assert.ok(s.ms < SLOW_MS / 2, `item ${s.index}: ${s.ms} ms`);
  // The items ran back to back: each ended no later than the next.
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.endedAt! <= got[i]!.endedAt!);
  assert.ok(got[4]!.endedAt! - got[2]!.endedAt! >= SLOW_MS * 0.9);
});

test('imapSettled with spread: true calls the task with each item as its argument list', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const sums: number[] = [];
  for await (const s of pool.imapSettled('add', [[1, 2], [3, 4], [5, 6]], { spread: true, ordered: true })) {
    assert.ok(s.ok);
    sums.push(s.value);
  }
  assert.deepEqual(sums, [3, 7, 11]);
});

test('imapSettled with spread: true and a journal records and spreads the same way', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-spread-'));
  try {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
    const journal = join(dir, 'run.journal');
    const sums: number[] = [];
    for await (const s of pool.imapSettled('add', [[1, 2], [3, 4]], { spread: true, ordered: true, journal })) if (s.ok) sums.push(s.value);
    assert.deepEqual(sums, [3, 7]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('imapSettled with spread: true rejects an item that is not an argument list, naming it', async () => {
  await using pool = await makePool(fixture('basic.ts'), opts);
  await assert.rejects(async () => {
    for await (const _ of pool.imapSettled('add', [7], { spread: true })) { /* throws */ }
  }, (err: Error) => err instanceof TypeError && /array of arguments, got 7/.test(err.message));
});
