/**
 * map with an AbortSignal: chunks stay adaptive (a signal once meant one item
 * per task), and aborting still keeps its promise: the map rejects at once,
 * chunks still queued never run, and a running chunk starts no further item.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from 'forkpool';
import type * as clock from '../fixtures/item-clock.mjs';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const N = 300;

test('map with a signal and no chunksize sends chunks, and every result is right', async () => {
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  const args = Array.from({ length: N }, (_, x) => [x, 0, 0, 0] as [number, number, number, number]);
  const out = await pool.starmap('slowAt', args, { signal: new AbortController().signal });
  assert.deepEqual(out.map((r) => r.v), args.map(([x]) => x * 2));
  const tasks = new Set(out.map((r) => r.task)).size;
  assert.ok(tasks < N / 4, `${tasks} tasks for ${N} items: the map went item by item`);
});

test('aborting a map rejects it at once; queued chunks never run and a running chunk starts no further item', { skip: localOnly('counts the items its local workers started, in a side file') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-map-signal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'started');
  const items = () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map(Number) : []);
  const started = () => items().length;
  /** The chunks (of 40 items) that had started an item. */
  const chunks = () => new Set(items().map((x) => Math.floor(x / 40)));
  await using pool = await makePool<typeof clock>(fixture('item-clock.mjs'), opts);
  await pool.ready();
  // 10 chunks of 40 items of 5 ms: each chunk runs about 200 ms, two at a time.
  const ctl = new AbortController();
  const args = Array.from({ length: 400 }, (_, x) => [x, file, 5] as [number, string, number]);
  const mapped = pool.starmap('loggedSleep', args, { signal: ctl.signal, chunksize: 40 });
  await sleep(60);
  ctl.abort(new Error('enough'));
  const t0 = performance.now();
  await assert.rejects(mapped, (e) => e instanceof AbortError && (e.cause as Error).message === 'enough');
  // The running chunks would end about 140 ms after the abort: well before that is "at once" on a loaded host.
  assert.ok(performance.now() - t0 < 100, 'the map rejected at the abort, not when its chunks ended');
  const atAbort = started();
  const chunksAtAbort = chunks();
  // Long enough for the two running chunks to have run every item, had they gone on.
  await sleep(400);
  const later = started();
  t.diagnostic(`${atAbort} items had started at the abort, ${later} 400 ms later`);
  // Each worker may finish the item it was running and start one before the abort reaches it.
  assert.ok(later - atAbort <= 2 * opts.processes, `${later - atAbort} items started after the abort`);
  // Which chunks were running at the abort depends on the host's speed (a loaded one gets further into the
  // map in 60 ms). A worker may start the chunk it already holds in the moment before the abort reaches it
  // (the same window as the items above; CI saw one): at most one per worker, and none after that.
  const chunksLater = [...chunks()].filter((c) => !chunksAtAbort.has(c));
  assert.ok(chunksLater.length <= opts.processes, `chunks ${chunksLater.join(', ')} started after the abort`);
  assert.ok(chunksAtAbort.size < 10, 'the abort came before the map ended');
  assert.equal(await pool.apply('slowAt', [1, 0, 0, 0]).then((r) => r.v), 2, 'the workers go on');
});
