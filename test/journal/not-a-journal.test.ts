/** A journal path that holds someone else's file is refused, and the file is left exactly as it was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { NotAJournalError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const square = (x: unknown) => (x as number) ** 2;
const NOT_JOURNALS: Record<string, string> = {
  'one line of JSON with a newline': '{"results":[1,2,3]}\n',
  'minified JSON without a newline': '{"results":[1,2,3],"meta":{"n":3}}',
  'a JSON array': '[1,2,3]\n[4]\n',
  'plain text': 'dear diary,\ntoday I ran a batch job.\n',
  'a CSV file': 'id,name\n1,a\n2,b\n',
  'a JSON object that only mentions forkpool': '{"forkpool":"config","journal":"x"}\n',
};

for (const mode of ['resume', 'overwrite'] as const) {
  for (const [what, content] of Object.entries(NOT_JOURNALS)) {
    test(`${what} given as the journal is refused in ${mode} mode and left byte for byte untouched`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'forkpool-notj-')), 'data.json');
      writeFileSync(path, content);
      const pool = new FakePool(square);
      await assert.rejects(collect(journaled(pool, 'square', [1, 2], { journal: path, ordered: true, journalMode: mode })), (err: Error) =>
        err instanceof NotAJournalError && (err as NotAJournalError).code === 'ERR_FORKPOOL_NOT_A_JOURNAL' &&
        (err as NotAJournalError).path === path && err.message.includes(JSON.stringify(path)));
      assert.equal(readFileSync(path, 'utf8'), content);
      assert.equal(pool.calls.length, 0, 'nothing ran');
      assert.equal(existsSync(`${path}.lock`), false, 'the lock was released');
    });
  }
}

test('an empty file, or the start of a header torn by a crash at creation, is taken as no journal and replaced', async () => {
  for (const content of ['', '{"forkpool":"jour', '{"forkpool":"journal","version":1,"task":"sq']) {
    const path = join(mkdtempSync(join(tmpdir(), 'forkpool-notj-')), 'j.journal');
    writeFileSync(path, content);
    const out = await collect(journaled(new FakePool(square), 'square', [1, 2], { journal: path, ordered: true }));
    assert.equal(out.length, 2);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].forkpool, 'journal');
    assert.equal(lines.length, 3);
  }
});

test('overwrite replaces an existing journal of another run', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'forkpool-notj-')), 'j.journal');
  await collect(journaled(new FakePool(square), 'other', [1, 2, 3], { journal: path, ordered: true }));
  await collect(journaled(new FakePool(square), 'square', [5], { journal: path, ordered: true, journalMode: 'overwrite' }));
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].task, 'square');
  assert.equal(lines.length, 2);
});
