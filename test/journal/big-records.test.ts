/**
 * Records far larger than the indexer's 1 MB read chunk: each spans many chunks (and chunk
 * boundaries split multi-byte characters), and every record after them must still be found
 * at its exact byte range. The indexer keeps a long line's chunks and joins them once, so
 * this stays linear in the record's size (the timing itself is measured by hand, not here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { FakePool, collect } from './fake-pool.ts';

/** Item n: a string of n MB (é is 2 bytes in UTF-8, so chunk edges fall inside characters), or n itself when small. */
const make = (x: unknown) => {
  const n = x as number;
  return n >= 1 ? `${'é'.repeat(n * 250_000)}${'y'.repeat(n * 500_000)}#${n}` : { n };
};

test('a journal with records spanning many read chunks resumes with every result equal, and a long torn tail is dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-big-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const journal = join(dir, 'j.journal');
  const items = [0, 5, 0.5, 3, 0.25];
  const first = await collect(journaled(new FakePool(make), 'make', items, { journal, ordered: true }));
  assert.deepEqual(first.map((s) => s.value), items.map(make));

  // A crash mid-write of another huge record: a last line of 2.5 MB without its newline.
  const before = readFileSync(journal).length;
  appendFileSync(journal, `{"k":"9:x","i":9,"h":"x","ok":true,"v":"${'z'.repeat(2_500_000)}`);

  const pool = new FakePool(() => { throw new Error('nothing should run again'); });
  const again = await collect(journaled(pool, 'make', items, { journal, ordered: true }));
  assert.equal(pool.calls.length, 0, 'every item came from the journal');
  assert.ok(again.every((s) => s.fromJournal));
  assert.equal(again.length, items.length);
  for (let i = 0; i < items.length; i++) assert.deepEqual(again[i].value, make(items[i]), `item ${i}`);
  assert.equal(readFileSync(journal).length, before, 'the torn tail was cut off');
});
