// A fast consumer's read-ahead: items a Queue lends a worker ahead of its gets
// stay the queue's until taken, come back (in order) when someone else needs
// them or the worker dies, and never arrive twice.
import { test } from 'node:test';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Manager, Queue } from '../../dist/shared/index.js';
import { encodeShared } from '../../dist/shared/codec.js';
import { hubReceive, hubPeerGone } from '../../dist/shared/link.js';
import { death, makePool, makeSpreadPool, runtime } from './helpers.ts';

const ITEMS = 300;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function filled(): Promise<Queue<number>> {
  const q = new Queue<number>();
  for (let i = 0; i < ITEMS; i++) await q.put(i);
  return q;
}

test(`[${runtime}] items lent to a worker that returned are counted by qsize() and come back to the main process first, in order`, async () => {
  await using pool = makePool(1);
  const q = await filled();
  const { got, held } = await pool.apply('getFastThenReturn', [q, 200]) as { got: number[]; held: number };
  assert.ok(held > 0, 'the fast consumer was lent items ahead of its gets');
  assert.deepEqual(got, range(0, got.length));
  assert.equal(await q.qsize(), ITEMS - got.length, 'lent items are still in the queue');
  // The next item is one the worker holds: it is taken back before anything newer is handed out.
  assert.equal(await q.getNowait(), got.length);
  await q.close();
  const rest: number[] = [];
  for await (const x of q) rest.push(x);
  assert.deepEqual(rest, range(got.length + 1, ITEMS));
});

test(`[${runtime}] a get whose timeout runs out while a busy worker holds lent items says so, and the items are still there afterwards, in order`, async () => {
  await using pool = makePool(1);
  const q = await filled();
  const flag = join(mkdtempSync(join(tmpdir(), 'forkpool-spin-')), 'spinning');
  const task = pool.apply('getFastThenSpin', [q, 200, flag, 2_000]) as Promise<{ got: number[]; held: number }>;
  // The worker writes the flag in the turn its spin begins: from then on it cannot answer.
  while (!existsSync(flag)) await new Promise((resolve) => setTimeout(resolve, 5));
  await assert.rejects(q.get({ timeout: 200 }), (e: Error) =>
    e.name === 'QueueEmptyError' && /had no item to give within the get\(\) timeout of 200 ms: items \d+ lent ahead to worker \d+ were not given back in time/.test(e.message));
  const { got, held } = await task;
  assert.ok(held > 0, 'the worker was lent items ahead of its gets');
  assert.equal(await q.get({ timeout: 5_000 }), got.length, 'the first lent item comes next');
});

test(`[${runtime}] another worker's gets take back what a fast consumer holds, in order, none twice`, async () => {
  await using pool = await makeSpreadPool(2);
  await using m = new Manager();
  const q = await filled();
  const report = m.dict<unknown>();
  const lent = m.event();
  const release = m.event();
  // Not awaited: it holds its lent items while the other worker drains.
  const holder = pool.apply('getFastThenHold', [q, 200, report, lent, release]);
  await lent.wait();
  const got = await report.get('got') as number[];
  assert.ok((await report.get('held') as number) > 0, 'the fast consumer was lent items ahead of its gets');
  // The spread pool runs this on the other worker; its getNowait waits for the reclaim instead of saying "empty".
  const drained = await pool.apply('drainNowait', [q]) as number[];
  await release.set();
  await holder;
  assert.deepEqual([...got, ...drained], range(0, ITEMS));
  assert.equal(await q.qsize(), 0);
});

test(`[${runtime}] a consumer ${death} while holding lent items: what it took is gone, the rest is back in order`, async () => {
  await using pool = makePool(1);
  await using m = new Manager();
  const q = await filled();
  const report = m.dict<unknown>();
  await assert.rejects(pool.apply('getFastThenDie', [q, 200, report]), { code: 'ERR_FORKPOOL_WORKER_CRASHED' });
  const got = await report.get('got') as number[];
  assert.ok((await report.get('held') as number) > 0, 'it died holding lent items');
  assert.deepEqual(got, range(0, got.length));
  assert.equal(await q.qsize(), ITEMS - got.length);
  const rest: number[] = [];
  for (let i = got.length; i < ITEMS; i++) rest.push(await q.getNowait());
  assert.deepEqual(rest, range(got.length, ITEMS));
  assert.equal(await q.empty(), true);
});

/** A fake worker with a take log in a SharedArrayBuffer, talking to the hub directly. */
function fakeWorker(id: string) {
  const sent: unknown[] = [];
  const peer = { id, send: (a: unknown) => { sent.push(a); } };
  const log = new BigInt64Array(new SharedArrayBuffer(4096 * 8));
  hubReceive(peer, { k: 'tl', b: log.buffer });
  const answers = async (): Promise<unknown[]> => {
    await new Promise(setImmediate);
    const out = sent.splice(0).flatMap((m) => ((m as { k: string }).k === 'b' ? (m as { m: unknown[] }).m : [m]));
    return out;
  };
  return { peer, log, answers };
}

test('the hub lends read-ahead only to a worker with a take log, and a dead worker\'s untaken items go back to the front', async () => {
  const q = new Queue<number>();
  const o = (encodeShared(q).value as { id: number }).id;
  for (let i = 0; i < 10; i++) await q.put(i);
  const w = fakeWorker('w-lease');
  // First take: no read-ahead yet (the hub lends only to the worker that got the previous item).
  hubReceive(w.peer, { k: 'q', r: 1, o, op: 'take', a: [undefined, 4, 0] });
  hubReceive(w.peer, { k: 'q', r: 2, o, op: 'take', a: [undefined, 4, 1] });
  const [a1, a2] = await w.answers() as { v: { l: number[]; s: number } }[];
  assert.deepEqual(a1!.v.l, [0]);
  assert.deepEqual(a2!.v.l, [1, 2, 3, 4, 5]);
  // It took 0, 1 and 2, then died: 3, 4 and 5 are first in line again.
  Atomics.store(w.log, a2!.v.s, 3n);
  assert.equal(await q.qsize(), 7);
  hubPeerGone(w.peer, true);
  assert.deepEqual(await Promise.all(range(0, 7).map(() => q.getNowait())), [3, 4, 5, 6, 7, 8, 9]);
});

test('a get from elsewhere asks the worker for its untaken items back and is served them first', async () => {
  const q = new Queue<number>();
  const o = (encodeShared(q).value as { id: number }).id;
  for (let i = 0; i < 10; i++) await q.put(i);
  const w = fakeWorker('w-reclaim');
  hubReceive(w.peer, { k: 'q', r: 1, o, op: 'take', a: [undefined, 0, 0] });
  hubReceive(w.peer, { k: 'q', r: 2, o, op: 'take', a: [undefined, 3, 1] });
  const lent = await w.answers() as { v: { l: number[]; s: number } }[];
  assert.deepEqual(lent[1]!.v.l, [1, 2, 3, 4]);
  Atomics.store(w.log, lent[1]!.v.s, 2n); // took 0 and 1
  const mine = q.getNowait();
  const [notice] = await w.answers() as { k: string; o: number; v: { rc: number } }[];
  assert.deepEqual(notice, { k: 'o', o, v: { rc: 5 } }, 'asked for everything sent so far');
  // The worker dropped 2, 3 and 4 and says it had taken 2.
  hubReceive(w.peer, { k: 'n', o, op: 'reclaimed', a: [2] });
  assert.equal(await mine, 2);
  assert.deepEqual(await Promise.all(range(0, 7).map(() => q.getNowait())), [3, 4, 5, 6, 7, 8, 9]);
  hubPeerGone(w.peer, true);
  assert.equal(await q.qsize(), 0, 'nothing comes back twice');
});

test(`[${runtime}] two fast consumers of an unbounded Queue share 30,000 items: none lost, none twice, each in put order`, async () => {
  await using pool = await makeSpreadPool(3);
  const q = new Queue<number>();
  const consumers = [pool.apply('consumeAll', [q]), pool.apply('consumeAll', [q])] as Promise<number[]>[];
  await pool.apply('produce', [q, 0, 30_000]);
  await q.close();
  const [a, b] = await Promise.all(consumers);
  for (const got of [a!, b!]) for (let i = 1; i < got.length; i++) if (got[i]! <= got[i - 1]!) assert.fail(`out of order: ${got[i - 1]} then ${got[i]}`);
  assert.deepEqual([...a!, ...b!].sort((x, y) => x - y), range(0, 30_000));
});

test(`[${runtime}] a worker's take log leaves no file behind: the main process unlinks it as soon as it has opened it`, { skip: runtime !== 'process' ? 'the thread runtime keeps its take log in a SharedArrayBuffer, not a file' : !existsSync('/dev/shm') && 'no /dev/shm here: take logs are not files in it' }, async () => {
  await using pool = makePool(1);
  const q = await filled();
  await pool.apply('getFastThenReturn', [q, 200]);
  const [pid] = pool.pids();
  assert.deepEqual(readdirSync('/dev/shm').filter((f) => f.startsWith(`forkpool-takes-${pid}-`)), []);
});

test(`[${runtime}] a consumer killed from outside while reading ahead (${runtime === 'process' ? 'SIGKILL' : 'terminate()'}): no item twice, at most the one in its hands missing, the rest in order`, async () => {
  const pool = makePool(1);
  await using m = new Manager();
  const q = new Queue<number>();
  for (let i = 0; i < 3000; i++) await q.put(i);
  const list = m.list<number>();
  const pid = m.value(0);
  const started = m.event();
  pool.apply('consumeRecording', [q, list, pid, started]).catch(() => {});
  await started.wait();
  if (runtime === 'process') process.kill(await pid.get(), 'SIGKILL');
  await pool.terminate();
  const got = await list.toArray();
  const rest: number[] = [];
  for (let n = await q.qsize(); n > 0; n--) rest.push(await q.getNowait());
  assert.equal(await q.empty(), true);
  const all = [...got, ...rest];
  assert.equal(new Set(all).size, all.length, 'no item arrived twice');
  assert.ok(all.length >= 2999, `at most one item lost with its taker (${3000 - all.length} missing)`);
  for (let i = 1; i < rest.length; i++) assert.ok(rest[i]! > rest[i - 1]!, 'what is left is in put order');
});

test(`[${runtime}] a producer killed from outside mid-stream (${runtime === 'process' ? 'SIGKILL' : 'terminate()'}): every put it saw resolve is in the queue, once, in order`, async () => {
  const pool = makePool(1);
  await using m = new Manager();
  const q = new Queue<number>();
  const acked = m.value(0);
  const pid = m.value(0);
  const started = m.event();
  pool.apply('produceRecording', [q, acked, pid, started]).catch(() => {});
  await started.wait();
  if (runtime === 'process') process.kill(await pid.get(), 'SIGKILL');
  await pool.terminate();
  const confirmed = await acked.get();
  const n = await q.qsize();
  assert.ok(n >= confirmed, `${n} items queued, ${confirmed} puts confirmed`);
  const got: number[] = [];
  for (let i = 0; i < n; i++) got.push(await q.getNowait());
  assert.deepEqual(got, range(0, n), 'a prefix of what was put: nothing twice, nothing out of order');
});
