/** One run per journal: `<journal>.lock` refuses a second run, names its holder, and never outlives a dead run on this host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { journaled } from '../../src/journal/journaled.ts';
import { JournalLockedError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const JOURNAL_FILE = new URL('../../src/journal/journal-file.ts', import.meta.url).href;
const journalPath = () => join(mkdtempSync(join(tmpdir(), 'forkpool-lock-')), 'j.journal');
const square = (x: unknown) => (x as number) ** 2;
const run = (journal: string, items: number[] = [1, 2, 3]) => collect(journaled(new FakePool(square), 'square', items, { journal, ordered: true }));

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Starts a process that opens the journal (taking its lock) and waits; resolves once it holds the lock. */
async function holder(journal: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    const { JournalFile } = await import(${JSON.stringify(JOURNAL_FILE)});
    await JournalFile.open(process.argv[1], { task: 'square', keying: 'default', input: null }, 'resume');
    console.log('locked');
    process.stdin.on('data', () => process.exit(0)); // exits without closing the journal
  `, journal], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'locked');
  return child;
}

test('a second run on a journal in use in the same process is refused with JournalLockedError naming the holder', async () => {
  const journal = journalPath();
  const first = journaled(new FakePool(square), 'square', [1, 2, 3], { journal, ordered: true });
  const firstItem = await first.next(); // the first run now holds the journal
  assert.equal(firstItem.done, false);
  await assert.rejects(run(journal), (err: Error) => {
    const e = err as JournalLockedError;
    return e instanceof JournalLockedError && e.code === 'ERR_FORKPOOL_JOURNAL_LOCKED' && e.holder?.pid === process.pid &&
      e.holder.host === hostname() && e.message.includes(`pid ${process.pid}`) && e.message.includes(e.holder.since) &&
      e.message.includes(`${journal}.lock`);
  });
  const rest = await collect(first);
  assert.equal(rest.length, 2, 'the first run is not disturbed');
  assert.equal(existsSync(`${journal}.lock`), false, 'the lock is released when the run ends');
  assert.equal((await run(journal)).length, 3, 'a later run takes the journal');
});

test('a run in another process holding the journal is named in the refusal, and its exit releases the lock', async () => {
  const journal = journalPath();
  const child = await holder(journal);
  await assert.rejects(run(journal), (err: Error) => err instanceof JournalLockedError && (err as JournalLockedError).holder?.pid === child.pid);
  const exited = once(child, 'exit');
  child.stdin!.end('exit\n');
  await exited;
  assert.equal(existsSync(`${journal}.lock`), false, 'process.exit released the lock');
  assert.equal((await run(journal)).length, 3);
});

test('a lock left by a SIGKILLed run on this host is taken over', async () => {
  const journal = journalPath();
  const child = await holder(journal);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(`${journal}.lock`), 'SIGKILL left the lock behind');
  assert.equal((await run(journal)).length, 3);
  assert.equal(existsSync(`${journal}.lock`), false);
});

test('a lock naming a dead pid on this host, or written before this machine booted, is stale and taken over', async () => {
  for (const owner of [
    { pid: deadPid(), host: hostname(), since: new Date().toISOString() },
    { pid: 1, host: hostname(), since: '1970-01-02T00:00:00.000Z' }, // pid 1 is alive, but that lock predates the boot
  ]) {
    const journal = journalPath();
    writeFileSync(`${journal}.lock`, JSON.stringify(owner));
    assert.equal((await run(journal)).length, 3);
    assert.equal(existsSync(`${journal}.lock`), false);
  }
});

test('a lock from another host is refused and left in place, with the file to delete in the message', async () => {
  const journal = journalPath();
  const lock = JSON.stringify({ pid: deadPid(), host: 'some-other-machine', since: '2030-01-01T00:00:00.000Z' });
  writeFileSync(`${journal}.lock`, lock);
  await assert.rejects(run(journal), (err: Error) =>
    err instanceof JournalLockedError && /"some-other-machine"/.test(err.message) && /2030-01-01/.test(err.message) &&
    err.message.includes(`delete ${JSON.stringify(`${journal}.lock`)}`));
  assert.equal(readFileSync(`${journal}.lock`, 'utf8'), lock);
  assert.equal(existsSync(journal), false, 'the refused run created no journal');
});

test('an unreadable lock is refused while it may still be being written, and taken over once old', async () => {
  const journal = journalPath();
  writeFileSync(`${journal}.lock`, '');
  await assert.rejects(run(journal), (err: Error) => err instanceof JournalLockedError && (err as JournalLockedError).holder === undefined);
  const longAgo = new Date(Date.now() - 60_000);
  utimesSync(`${journal}.lock`, longAgo, longAgo);
  assert.equal((await run(journal)).length, 3);
});
