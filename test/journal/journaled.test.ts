import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled, type JournaledItem } from '../../src/journal/journaled.ts';
import { JournalMismatchError, JournalCorruptError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-journal-'));
const square = (x: unknown) => (x as number) * (x as number);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const values = (items: JournaledItem[]) => items.map((s) => (s.ok ? s.value : `ERR ${s.error.message}`));
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

test('a fresh run records every result and yields them in input order when ordered', async () => {
  const journal = join(tmp(), 'j.journal');
  const out = await collect(journaled(new FakePool(square), 'square', range(10), { journal, ordered: true }));
  assert.deepEqual(values(out), range(10).map((x) => x * x));
  assert.deepEqual(out.map((s) => s.index), range(10));
  const [header, ...records] = lines(journal).map((l) => JSON.parse(l));
  assert.equal(header.forkpool, 'journal');
  assert.equal(header.task, 'square');
  assert.equal(records.length, 10);
  assert.match(records[0].k, /^\d+:[0-9a-f]{12}$/);
});

test('a rerun takes recorded results from the journal without running them again', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool(square), 'square', range(20), { journal, ordered: true }));
  const pool = new FakePool(() => { throw new Error('must not run'); });
  const out = await collect(journaled(pool, 'square', range(20), { journal, ordered: true }));
  assert.equal(pool.calls.length, 0);
  assert.deepEqual(values(out), range(20).map((x) => x * x));
  assert.ok(out.every((s) => s.fromJournal));
  assert.equal(lines(journal).length, 21, 'nothing is recorded twice');
});

test('an interrupted run resumes with only what is left, and the output equals an uninterrupted run', async () => {
  const journal = join(tmp(), 'j.journal');
  const first = journaled(new FakePool(square), 'square', range(50), { journal, ordered: false });
  let seen = 0;
  for await (const _ of first) if (++seen === 17) break; // the caller stops early
  const pool = new FakePool(square);
  const out = await collect(journaled(pool, 'square', range(50), { journal, ordered: true }));
  assert.deepEqual(values(out), range(50).map((x) => x * x));
  assert.ok(pool.calls.length <= 50 - 17, `re-ran ${pool.calls.length} items`);
  const keys = lines(journal).slice(1).map((l) => JSON.parse(l).k);
  assert.equal(new Set(keys).size, keys.length, 'no key recorded twice');
  assert.equal(keys.length, 50);
});

test('unordered output has every index exactly once, recorded and new ones mixed', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool(square), 'square', range(30).filter((i) => i % 3 === 0), { journal, ordered: false, key: (x) => String(x) }));
  const out = await collect(journaled(new FakePool(square), 'square', range(30), { journal, ordered: false, key: (x) => String(x) }));
  assert.deepEqual(out.map((s) => s.index).sort((a, b) => a - b), range(30));
  assert.equal(out.filter((s) => s.fromJournal).length, 10);
});

test('a torn last line is dropped and the run resumes cleanly', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool(square), 'square', range(10), { journal, ordered: true }));
  const text = readFileSync(journal, 'utf8').trimEnd().split('\n');
  const last = text.pop()!;
  writeFileSync(journal, `${text.join('\n')}\n${last.slice(0, 15)}`); // a crash mid-write
  const pool = new FakePool(square);
  const out = await collect(journaled(pool, 'square', range(10), { journal, ordered: true }));
  assert.deepEqual(values(out), range(10).map((x) => x * x));
  assert.equal(pool.calls.length, 1, 'only the torn record is re-run');
  assert.ok(lines(journal).every((l) => JSON.parse(l)), 'every line parses again');
  assert.equal(lines(journal).length, 11);
});

test('damage before the last line is reported with its line number', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool(square), 'square', range(5), { journal, ordered: true }));
  const text = lines(journal);
  text[2] = '{"k":broken';
  writeFileSync(journal, `${text.join('\n')}\n`);
  await assert.rejects(collect(journaled(new FakePool(square), 'square', range(5), { journal, ordered: true })),
    (err: Error) => err instanceof JournalCorruptError && /line 3/.test(err.message) && (err as JournalCorruptError).code === 'ERR_FORKPOOL_JOURNAL_CORRUPT');
});

test('a changed input is refused with a clear message, and overwrite starts over', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool(square), 'square', range(5), { journal, ordered: true }));
  await assert.rejects(collect(journaled(new FakePool(square), 'square', [0, 1, 2, 3, 99], { journal, ordered: true })),
    (err: Error) => err instanceof JournalMismatchError && /input changed/.test(err.message) && /overwrite/.test(err.message));
  await assert.rejects(collect(journaled(new FakePool(square), 'cube', range(5), { journal, ordered: true })),
    (err: Error) => err instanceof JournalMismatchError && /"square"/.test(err.message) && /"cube"/.test(err.message));
  const out = await collect(journaled(new FakePool(square), 'square', [0, 1, 2, 3, 99], { journal, ordered: true, journalMode: 'overwrite' }));
  assert.deepEqual(values(out), [0, 1, 4, 9, 9801]);
  assert.equal(lines(journal).length, 6);
});

test('a changed item in a streamed input is refused when it is reached', async () => {
  const journal = join(tmp(), 'j.journal');
  async function* gen(last: number) { for (const x of [1, 2, last]) yield x; }
  await collect(journaled(new FakePool(square), 'square', gen(3), { journal, ordered: true }));
  await assert.rejects(collect(journaled(new FakePool(square), 'square', gen(4), { journal, ordered: true })),
    (err: Error) => err instanceof JournalMismatchError && /item 2 differs/.test(err.message));
});

test('failed items are recorded with their error and re-run on resume unless resumeFailed is false', async () => {
  const journal = join(tmp(), 'j.journal');
  const flaky = (x: unknown) => { if (x === 3) throw new TypeError('three is bad'); return x; };
  const first = await collect(journaled(new FakePool(flaky), 't', range(5), { journal, ordered: true }));
  assert.equal(first.filter((s) => !s.ok).length, 1);
  const kept = new FakePool(() => 'rerun');
  const again = await collect(journaled(kept, 't', range(5), { journal, ordered: true, resumeFailed: false }));
  assert.equal(kept.calls.length, 0);
  const failed = again[3]!;
  assert.ok(!failed.ok && failed.error.name === 'TypeError' && failed.error.message === 'three is bad');
  const rerun = new FakePool(() => 'fixed');
  const third = await collect(journaled(rerun, 't', range(5), { journal, ordered: true }));
  assert.deepEqual(rerun.calls, [3]);
  assert.deepEqual(values(third), [0, 1, 2, 'fixed', 4]);
});

test('values that JSON would change come back unchanged from the journal', async () => {
  const journal = join(tmp(), 'j.journal');
  const odd = [undefined, 10n, new Date(5), new Map([[1, 'a']]), new Set([2]), NaN, -0, { $fp: 'x' }, new Uint8Array([1, 2])];
  const pick = (i: unknown) => odd[i as number];
  await collect(journaled(new FakePool(pick), 'odd', range(odd.length), { journal, ordered: true }));
  const out = await collect(journaled(new FakePool(pick), 'odd', range(odd.length), { journal, ordered: true }));
  assert.ok(out.every((s) => s.fromJournal));
  assert.deepEqual(out.map((s) => (s.ok ? s.value : s.error)), odd);
});

test('outcomes about the run rather than the item (terminated, aborted) are not recorded', async () => {
  const journal = join(tmp(), 'j.journal');
  const terminated = Object.assign(new Error('terminated'), { code: 'ERR_FORKPOOL_TERMINATED' });
  const pool = new FakePool((x) => { if ((x as number) >= 2) throw terminated; return x; });
  await collect(journaled(pool, 't', range(4), { journal, ordered: true }));
  assert.equal(lines(journal).length, 3, 'header plus the two real results');
});

test('a pool that refuses the call at once (broken, closed, terminated) gets the journal and its lock released', async () => {
  const journal = join(tmp(), 'j.journal');
  const refused = Object.assign(new Error('the pool is broken'), { code: 'ERR_FORKPOOL_POOL_BROKEN' });
  const refusing = { imapSettled: () => { throw refused; } };
  await assert.rejects(collect(journaled(refusing, 'square', range(3), { journal, ordered: true })), /the pool is broken/);
  // The lock was kept, so this rerun was refused with JournalLockedError (and `forkpool run` kept a journal with nothing in it).
  const out = await collect(journaled(new FakePool(square), 'square', range(3), { journal, ordered: true }));
  assert.deepEqual(values(out), [0, 1, 4]);
});

test('an item rejected by `invalid` fails without running and is recorded as failed', async () => {
  const journal = join(tmp(), 'j.journal');
  const pool = new FakePool(square);
  const out = await collect(journaled(pool, 'square', [1, 'x', 3], {
    journal, ordered: true, invalid: (item) => (typeof item === 'string' ? new SyntaxError(`bad ${item}`) : undefined),
  }));
  assert.deepEqual(values(out), [1, 'ERR bad x', 9]);
  assert.deepEqual(pool.calls, [1, 3]);
  assert.equal(lines(journal).slice(1).map((l) => JSON.parse(l)).find((r) => r.i === 1).ok, false);
});

test('bad journal options are refused with the option name and value', async () => {
  await assert.rejects(collect(journaled(new FakePool(square), 't', [1], { journal: '', ordered: true })), /`journal`.*""/);
  await assert.rejects(collect(journaled(new FakePool(square), 't', [1], { journal: 'x', ordered: true, journalMode: 'append' as never })), /`journalMode`.*"append"/);
});

test('the journal key of each item travels to the pool with it (an engine may key its jobs with it)', async () => {
  const journal = join(tmp(), 'j.journal');
  const first = new FakePool(square);
  await collect(journaled(first, 'square', range(6), { journal, key: (x) => `item-${x as number}` }));
  assert.deepEqual(first.keys, range(6).map((i) => `item-${i}`));
  // On resume only the items left run, each still with its own key.
  const again = new FakePool(square);
  await collect(journaled(again, 'square', range(8), { journal, key: (x) => `item-${x as number}` }));
  assert.deepEqual(again.keys, ['item-6', 'item-7']);
});
