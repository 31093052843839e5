/**
 * The `ms` of an item that crashed its worker is its own run time up to the
 * death, not the moment between the death and its report: a task that
 * starts after an idle gap says so only in a record the parent reads when
 * the worker dies (task.ts, handedAt).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as crashy from '../fixtures/crashy.ts';
import { fixture, runtime, isThread, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;

test('an item that runs 400 ms and then crashes its worker reports about 400 ms, one item or in a chunk', { skip: localOnly('reads run times of local workers') }, async () => {
  await using pool = await makePool<typeof crashy>(fixture('crashy.ts'), opts);
  await pool.ready();
  const hows = isThread ? ['exit'] as const : ['exit', 'kill'] as const;
  for (const how of hows) {
    // One item per task (chunksize 1), then three in one chunk with the crash last.
    for (const [items, chunksize] of [[[[1, 400, how]], 1], [[[1, 50, 'none'], [2, 50, 'none'], [3, 400, how]], 3]] as const) {
      const settled = [];
      for await (const s of pool.imapSettled('laterThen', items as unknown as Array<[number, number, 'exit' | 'kill' | 'none']>, { chunksize, spread: true })) settled.push(s);
      const crashed = settled.find((s) => !s.ok)!;
      assert.ok(crashed, `${how}, chunksize ${chunksize}: an item crashed`);
      assert.equal((crashed.error as { code?: string }).code, 'ERR_FORKPOOL_WORKER_CRASHED');
      // No upper bound: a loaded host may take longer; the defect was a few ms.
      assert.ok(crashed.ms >= 350, `${how}, chunksize ${chunksize}: the crashed item reports ${crashed.ms} ms, it ran 400`);
    }
  }
});
