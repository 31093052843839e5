/**
 * Custom journal keys must be unique within a run: two items under one key
 * would share one record, and a resume would return one item's result for
 * both. A duplicate is refused before anything is recorded under it, for the
 * journal itself and for every pool method that takes `journal` and `key`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool } from '../helpers.ts';
import { journaled } from '../../src/journal/journaled.ts';
import { FakePool, collect } from './fake-pool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-keys-'));
// No file: the run was refused before it recorded anything, so its fresh journal was never put in place.
const records = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l) as { k: string; i: number; v: unknown }) : []);
const byParity = (x: unknown) => `k${(x as number) % 2}`;

/** The refusal: a TypeError with the invalid-argument code, naming the key and both indices. */
const duplicate = (key: string, first: number, second: number) => (err: unknown) => {
  assert.ok(err instanceof TypeError, `expected a TypeError, got ${String(err)}`);
  assert.equal((err as { code?: unknown }).code, 'ERR_FORKPOOL_INVALID_ARG');
  assert.match(err.message, new RegExp(`same key "${key}" for items ${first} and ${second}\\b`));
  return true;
};

test('a custom key returned for two items is refused, and nothing is recorded under it twice', async () => {
  const journal = join(tmp(), 'j.journal');
  const pool = new FakePool((x) => x);
  await assert.rejects(collect(journaled(pool, 'id', [1, 2, 3, 4], { journal, ordered: true, key: byParity })), duplicate('k1', 0, 2));
  assert.ok(!pool.calls.includes(3), 'the item with the duplicate key never ran');
  const recs = records(journal);
  assert.ok(recs.every((r) => r.i < 2), `only items before the duplicate are recorded: ${JSON.stringify(recs)}`);
  assert.equal(new Set(recs.map((r) => r.k)).size, recs.length, 'no key recorded twice');
});

test('resuming a journal that already holds one key twice (an older forkpool wrote it) is refused too', async () => {
  const journal = join(tmp(), 'j.journal');
  await collect(journaled(new FakePool((x) => x), 'id', [1, 2], { journal, ordered: true, key: byParity }));
  // What an older forkpool left: items 3 and 4 recorded under the keys of 1 and 2.
  const text = readFileSync(journal, 'utf8');
  const extra = records(journal).map((r) => JSON.stringify({ ...r, i: r.i + 2, v: (r.v as number) + 2 }));
  writeFileSync(journal, `${text}${extra.join('\n')}\n`);
  const pool = new FakePool(() => { throw new Error('must not run'); });
  await assert.rejects(collect(journaled(pool, 'id', [1, 2, 3, 4], { journal, ordered: true, key: byParity })), duplicate('k1', 0, 2));
});

test('unique custom keys still resume from the journal, the claim leaving recorded items intact', async () => {
  const journal = join(tmp(), 'j.journal');
  const key = (x: unknown) => `item-${x as number}`;
  await collect(journaled(new FakePool((x) => x), 'id', [1, 2, 3], { journal, ordered: true, key }));
  const pool = new FakePool((x) => x);
  const out = await collect(journaled(pool, 'id', [3, 1, 2, 4], { journal, ordered: true, key }));
  assert.deepEqual(out.map((s) => s.ok && s.value), [3, 1, 2, 4]);
  assert.deepEqual(pool.calls, [4]);
  assert.deepEqual(out.map((s) => s.fromJournal), [true, true, true, false]);
});

test(`map, starmap, imap and imapSettled refuse a duplicate custom key (${runtime})`, async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { processes: 2, runtime, logs: 'silent' });
  const dir = tmp();
  const key = (x: unknown) => `k${(Array.isArray(x) ? x[0] as number : x as number) % 2}`;
  for (const journalMode of ['overwrite', 'resume'] as const) {
    const journal = join(dir, 'map.journal');
    await assert.rejects(pool.map('double', [1, 2, 3, 4], { journal, journalMode, key }), duplicate('k1', 0, 2));
    // Items 0 and 1 may or may not have finished before the refusal; item 2 and later never run.
    const recs = records(journal);
    assert.ok(recs.every((r) => r.i < 2), `${journalMode}: only items before the duplicate are recorded: ${JSON.stringify(recs)}`);
  }
  await assert.rejects(pool.starmap('add', [[1, 1], [2, 2], [3, 3]], { journal: join(dir, 'starmap.journal'), key }), duplicate('k1', 0, 2));
  const drain = async (it: AsyncIterable<unknown>) => { for await (const _ of it) { /* until the refusal */ } };
  await assert.rejects(drain(pool.imap('double', [1, 2, 3], { journal: join(dir, 'imap.journal'), key })), duplicate('k1', 0, 2));
  await assert.rejects(drain(pool.imapSettled('double', [5, 6, 8], { journal: join(dir, 'settled.journal'), key })), duplicate('k0', 1, 2));
  // The refusals released their journals, and the pool still works.
  assert.deepEqual(await pool.map('double', [1, 2, 3], { journal: join(dir, 'map.journal'), journalMode: 'overwrite', key: (x) => `n${x as number}` }), [2, 4, 6]);
});
