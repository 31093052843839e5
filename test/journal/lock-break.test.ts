/**
 * A stale lock beside a `<journal>.lock.break` (left by a run killed while taking the lock over):
 * a break file whose run is dead, or that is empty (torn at creation), is removed and the stale
 * lock taken over without waiting out its 10 s grace; one held by a live run refuses with a
 * message that names the break file, not "the lock file is unreadable".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { JournalLockedError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const square = (x: unknown) => (x as number) ** 2;

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A journal with one run recorded, its lock left by a dead run, and `breakContent` in `<journal>.lock.break`. */
async function staleWithBreak(t: { after: (fn: () => void) => void }, breakContent: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-break-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const journal = join(dir, 'j.journal');
  await collect(journaled(new FakePool(square), 'square', [1, 2], { journal, ordered: true }));
  writeFileSync(`${journal}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), since: new Date().toISOString(), token: 't' }));
  writeFileSync(`${journal}.lock.break`, breakContent);
  return journal;
}

const holder = (pid: number) => JSON.stringify({ pid, host: hostname(), since: new Date().toISOString(), token: 'b' });

for (const [what, content] of [
  ['an empty break file (its run killed as it created it)', () => ''],
  ['a break file naming a dead pid', () => holder(deadPid())],
  ['a break file of an older forkpool holding a dead pid', () => String(deadPid())],
] as const) {
  test(`a stale lock with ${what} is taken over well before the break file's 10 s grace`, async (t) => {
    const journal = await staleWithBreak(t, content());
    const started = Date.now();
    const pool = new FakePool(square);
    const out = await collect(journaled(pool, 'square', [1, 2], { journal, ordered: true }));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.deepEqual(out.map((s) => s.value), [1, 4]);
    assert.deepEqual(pool.calls, [], 'resumed: every item came from the journal');
    assert.equal(existsSync(`${journal}.lock.break`), false);
    assert.equal(existsSync(`${journal}.lock`), false, 'released at the end');
  });
}

test('a stale lock being taken over by a live run is refused with a message naming the .lock.break file, which is left alone', async (t) => {
  const content = holder(process.pid); // a live run (this one) holds the break file
  const journal = await staleWithBreak(t, content);
  await assert.rejects(collect(journaled(new FakePool(square), 'square', [1, 2], { journal, ordered: true })), (err: Error) => {
    assert.ok(err instanceof JournalLockedError, String(err));
    assert.equal(err.breakPath, `${journal}.lock.break`);
    assert.ok(err.message.includes(JSON.stringify(`${journal}.lock.break`)), err.message);
    assert.match(err.message, new RegExp(`taking over \\(pid ${process.pid} `));
    assert.doesNotMatch(err.message, /unreadable/);
    return true;
  });
  assert.equal(readFileSync(`${journal}.lock.break`, 'utf8'), content);
});
