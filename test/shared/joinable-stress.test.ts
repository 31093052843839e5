// Several JoinableQueue consumers reading ahead, one killed mid-stream many
// items in: every item is processed and marked done, join() resolves, and
// the count is exact (no item counted done twice: one more taskDone() fails).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'forkpool';
import { JoinableQueue, Manager } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';
import { eventually } from '../helpers.ts';

const JQ = new URL('../fixtures/shared/joinable.mjs', import.meta.url);
const CONSUMERS = 3;
/** Items the victim processes before it is killed: well into the stream. */
const VICTIM_DONE = 150;
/** Items put after the kill, so the others are still consuming as the victim's items come back. */
const AFTER = 2000;

test(`[${runtime}] ${CONSUMERS} JoinableQueue consumers and one killed mid-stream: every item is done at least once, join() resolves, and the count is exact`, async () => {
  const processes = CONSUMERS + 1;
  await using p = new Pool(JQ, { processes, runtime, logs: 'silent' });
  // Two slow tasks per worker teach the pool one task in flight each, so the four consumers run at once.
  await Promise.all(Array.from({ length: processes * 2 }, () => p.apply('busy', [10])));
  await using m = new Manager();
  const jq = new JoinableQueue<number>();
  const victimDone = m.list<number>();
  const stop = m.event();
  const victim = p.apply('jqConsumeUntilKilled', [jq, victimDone, stop]);
  victim.catch(() => {});
  const others = Array.from({ length: CONSUMERS }, () => p.apply('jqConsume', [jq]) as Promise<number[]>);
  let next = 0;
  const putMore = async (n: number): Promise<void> => { for (let i = 0; i < n; i++) await jq.put(next++); };
  // Fed in small batches until the victim is well in, so the others never drain the queue before it gets there.
  const deadline = Date.now() + 60_000;
  while ((await victimDone.length()) < VICTIM_DONE) {
    assert.ok(Date.now() < deadline, 'the victim reached its items');
    await putMore(50);
    await delay(5);
  }
  // It dies (SIGKILL, or process.exit in its thread) holding the next item it gets, and any it read ahead.
  await stop.set();
  await putMore(AFTER);
  await assert.rejects(victim, { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
  await jq.join({ signal: AbortSignal.timeout(60_000) });
  await jq.close();
  const done = [...(await victimDone.slice()), ...(await Promise.all(others)).flat()];
  const seen = new Set(done);
  for (let i = 0; i < next; i++) assert.ok(seen.has(i), `item ${i} was processed`);
  assert.ok(await eventually(async () => (await jq.qsize()) === 0, 1000));
  // join() resolved with every taskDone() counted once: there is none left to mark.
  await assert.rejects(jq.taskDone(), { code: 'ERR_FORKPOOL_INVALID_STATE' });
  // The victim died before processing the item it held: nothing was processed twice.
  assert.equal(done.length, seen.size, 'no item processed twice');
});
