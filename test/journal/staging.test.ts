/**
 * A fresh journal is staged beside its path and put in place at the first
 * record, or at the end of a run that started; a run that could not run
 * anything leaves the path as it found it, an `overwrite`'s old journal
 * included (journal-file.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled, type JournaledItem } from '../../src/journal/journaled.ts';
import { FakePool, collect } from './fake-pool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-staging-'));
const square = (x: unknown) => (x as number) * (x as number);
const values = (items: JournaledItem[]) => items.map((s) => (s.ok ? s.value : `ERR ${s.error.message}`));
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

/** A pool whose every item fails as a pool that cannot start workers fails it. */
const cannotStart = () => new FakePool(() => {
  throw Object.assign(new Error('the worker failed to start'), { code: 'ERR_FORKPOOL_WORKER_START' });
});

async function journalOf(dir: string, items: number[]): Promise<string> {
  const journal = join(dir, 'j.journal');
  await collect(journaled(new FakePool(square), 'square', items, { journal, ordered: true }));
  return journal;
}

test('overwrite: a run that cannot run anything leaves the old journal byte for byte, and a resume still finds its records', async () => {
  const dir = tmp();
  const journal = await journalOf(dir, [1, 2, 3]);
  const before = readFileSync(journal, 'utf8');
  const out = await collect(journaled(cannotStart(), 'square', [1, 2, 3], { journal, ordered: true, journalMode: 'overwrite' }));
  assert.equal(out.length, 3);
  assert.ok(out.every((s) => !s.ok));
  assert.equal(readFileSync(journal, 'utf8'), before);
  assert.deepEqual(readdirSync(dir).sort(), ['j.journal'], 'no staged file or lock left');
  const pool = new FakePool(() => { throw new Error('must not run'); });
  assert.deepEqual(values(await collect(journaled(pool, 'square', [1, 2, 3], { journal, ordered: true }))), [1, 4, 9]);
  assert.equal(pool.calls.length, 0);
});

test('a run that cannot run anything leaves no journal where there was none', async () => {
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  await collect(journaled(cannotStart(), 'square', [1, 2], { journal, ordered: true }));
  assert.deepEqual(readdirSync(dir), []);
});

test('an input that throws before any record leaves the old journal as it was', async () => {
  const dir = tmp();
  const journal = await journalOf(dir, [1, 2]);
  const before = readFileSync(journal, 'utf8');
  async function* bad(): AsyncGenerator<number> { throw new Error('input broke'); }
  await assert.rejects(collect(journaled(new FakePool(square), 'square', bad(), { journal, ordered: true, journalMode: 'overwrite' })), /input broke/);
  assert.equal(readFileSync(journal, 'utf8'), before);
  assert.deepEqual(readdirSync(dir), ['j.journal']);
});

test('overwrite: the first record replaces the old journal', async () => {
  const dir = tmp();
  const journal = await journalOf(dir, [1, 2, 3]);
  const oldRun = JSON.parse(lines(journal)[0]).run;
  const it = journaled(new FakePool(square, 1), 'square', [5, 6, 7], { journal, ordered: true, journalMode: 'overwrite' });
  const first = await it.next();
  assert.equal(first.done, false);
  // The record reached the writer before the item was yielded: the path is the new journal now.
  const header = JSON.parse(lines(journal)[0]);
  assert.notEqual(header.run, oldRun);
  await collect(it);
  assert.deepEqual(lines(journal).slice(1).map((l) => JSON.parse(l).k.split(':')[0]), ['0', '1', '2']);
  assert.deepEqual(readdirSync(dir), ['j.journal']);
});

test('overwrite with an empty input, or stopped before any record, has started over: the old journal is replaced', async () => {
  const dir = tmp();
  const journal = await journalOf(dir, [1, 2, 3]);
  await collect(journaled(new FakePool(square), 'square', [], { journal, ordered: true, journalMode: 'overwrite' }));
  assert.equal(lines(journal).length, 1, 'a header only');

  const again = await journalOf(tmp(), [1, 2, 3]);
  const terminated = new FakePool(() => { throw Object.assign(new Error('terminated'), { code: 'ERR_FORKPOOL_TERMINATED' }); });
  await collect(journaled(terminated, 'square', [1, 2, 3], { journal: again, ordered: true, journalMode: 'overwrite' }));
  assert.equal(lines(again).length, 1, 'the old records are gone: --force then Ctrl-C has started over');
});

test('a staged file left by a run killed before its first record is removed by the next run, and nothing else is', async () => {
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  writeFileSync(join(dir, 'j.journal.0123abcd.tmp'), '{"forkpool":"journal"}\n');
  writeFileSync(join(dir, 'j.journal.notours.tmp'), 'keep');
  writeFileSync(join(dir, 'other.journal.0123abcd.tmp'), 'keep');
  await collect(journaled(new FakePool(square), 'square', [1], { journal, ordered: true }));
  assert.deepEqual(readdirSync(dir).sort(), ['j.journal', 'j.journal.notours.tmp', 'other.journal.0123abcd.tmp']);
  assert.ok(existsSync(journal));
});
