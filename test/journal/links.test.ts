/**
 * A journal reached through a symlink (to the file, a dangling one, or a
 * symlinked folder) is the same journal: one lock, one file renamed over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { JournalLockedError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-links-'));
const square = (x: unknown) => (x as number) * (x as number);

test('two runs on one journal, one through a symlink and one through a symlinked folder, meet on one lock', async () => {
  const dir = tmp();
  const real = join(dir, 'real.journal');
  await collect(journaled(new FakePool(square), 'square', [1, 2, 3], { journal: real, ordered: true }));
  symlinkSync(real, join(dir, 'link.journal'));
  symlinkSync(dir, join(dir, 'folder-link'));
  const holder = journaled(new FakePool(square), 'square', [1, 2, 3], { journal: real, ordered: true });
  assert.equal((await holder.next()).done, false, 'the first run holds the journal');
  for (const other of [join(dir, 'link.journal'), join(dir, 'folder-link', 'real.journal')]) {
    await assert.rejects(collect(journaled(new FakePool(square), 'square', [1, 2, 3], { journal: other, ordered: true })), JournalLockedError, other);
  }
  await collect(holder);
});

test('a dangling symlink as the journal: the journal is created where it points, and the link stays a link', async () => {
  const dir = tmp();
  const link = join(dir, 'link.journal');
  symlinkSync(join(dir, 'target.journal'), link);
  await collect(journaled(new FakePool(square), 'square', [1, 2], { journal: link, ordered: true }));
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(readFileSync(join(dir, 'target.journal'), 'utf8').trim().split('\n').length, 3);
});

test('a staged journal left by a killed run is removed by the next run, a resume too', async () => {
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  await collect(journaled(new FakePool(square), 'square', [1, 2], { journal, ordered: true }));
  writeFileSync(join(dir, 'j.journal.89abcdef.tmp'), '{"forkpool":"journal"}\n');
  mkdirSync(join(dir, 'keep'));
  const pool = new FakePool(() => { throw new Error('must not run'); });
  await collect(journaled(pool, 'square', [1, 2], { journal, ordered: true }));
  assert.deepEqual(readdirSync(dir).sort(), ['j.journal', 'keep']);
  assert.ok(existsSync(journal));
});
