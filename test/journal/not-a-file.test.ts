/**
 * A journal path (or its lock file) naming a FIFO, a device, a socket or a directory is refused
 * before anything opens, locks or renames over it, and the node is left as it was. A FIFO used
 * to hang the run in open(2); a device node was replaced by a regular file (the fresh journal
 * renamed over it); /dev/zero-like devices were indexed forever.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { NotAJournalError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const square = (x: unknown) => (x as number) ** 2;
const dirs: string[] = [];
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'forkpool-nonfile-'));
  dirs.push(d);
  return d;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `mkfifo failed: ${r.stderr}`);
}
/** A private character device node (same numbers as /dev/null), if this process may make one. */
function mknodNull(path: string): boolean {
  return spawnSync('mknod', ['-m', '666', path, 'c', '1', '3']).status === 0;
}
async function socketAt(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

function typeOf(st: Stats): string {
  return st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
}

/**
 * Runs a journaled map on `journal` and expects a refusal. Without the fix a FIFO blocks the
 * open for good: after a while, a writer opened and closed on each FIFO given lets the run go
 * on, so the test fails instead of hanging.
 */
async function expectRefused(journal: string, mode: 'resume' | 'overwrite', fifos: string[] = []): Promise<unknown> {
  const pool = new FakePool(square);
  const run = collect(journaled(pool, 'square', [1, 2], { journal, ordered: true, journalMode: mode })).then(() => 'ran', (err: unknown) => err);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([run, new Promise((resolve) => { timer = setTimeout(() => resolve('hung'), 3000); })]);
  clearTimeout(timer);
  if (outcome === 'hung') {
    for (const f of fifos) {
      try { closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader blocked on it */ }
    }
    await run;
    assert.fail(`the run hung on ${journal}`);
  }
  assert.equal(pool.calls.length, 0, 'nothing ran');
  return outcome;
}

function isRefusal(err: unknown, path: string, kind: RegExp): boolean {
  return err instanceof NotAJournalError && err.code === 'ERR_FORKPOOL_NOT_A_JOURNAL' && err.path === path &&
    err.message.includes(JSON.stringify(path)) && kind.test(err.message) && kind.test(String(err.kind));
}

const KINDS: Array<[string, RegExp, (p: string) => Promise<boolean>]> = [
  ['a FIFO', /FIFO/, async (p) => { mkfifo(p); return true; }],
  ['a character device', /character device/, async (p) => mknodNull(p)],
  ['a socket', /socket/, async (p) => { await socketAt(p); return true; }],
  ['a directory', /directory/, async (p) => { mkdirSync(p); return true; }],
];

for (const mode of ['resume', 'overwrite'] as const) {
  for (const [what, kind, make] of KINDS) {
    test(`${what} given as the journal is refused in ${mode} mode, and left as it was`, async (t) => {
      const path = join(dir(), 'node');
      if (!(await make(path))) { t.skip('mknod is not permitted here'); return; }
      const before = typeOf(statSync(path));
      const err = await expectRefused(path, mode, [path]);
      assert.ok(isRefusal(err, path, kind), String(err));
      assert.equal(typeOf(statSync(path)), before, 'the node is what it was');
      assert.equal(existsSync(`${path}.lock`), false, 'no lock file beside it');
    });
  }
}

test('a symlink to a FIFO is followed and refused', async () => {
  const d = dir();
  const fifo = join(d, 'fifo');
  mkfifo(fifo);
  symlinkSync(fifo, join(d, 'link'));
  const err = await expectRefused(join(d, 'link'), 'resume', [fifo]);
  assert.ok(isRefusal(err, join(d, 'link'), /FIFO/), String(err));
  assert.equal(typeOf(statSync(fifo)), 'fifo');
});

test('a lock file path that is a FIFO, or a character device, is refused naming the lock file; the journal is untouched', async () => {
  for (const [suffix, make, kind] of [['.lock', mkfifo, /FIFO/], ['.lock.break', mkfifo, /FIFO/], ['.lock', mknodNull, /character device/]] as const) {
    const journal = join(dir(), 'j.journal');
    writeFileSync(journal, '');
    const lock = `${journal}${suffix}`;
    if (make(lock) === false) continue; // mknod not permitted
    const err = await expectRefused(journal, 'resume', [lock]);
    assert.ok(isRefusal(err, lock, kind), String(err));
    assert.match((err as Error).message, /lock file/);
    assert.equal(typeOf(statSync(lock)), make === mkfifo ? 'fifo' : 'char');
    assert.equal(statSync(journal).size, 0, 'the journal is untouched');
  }
});
