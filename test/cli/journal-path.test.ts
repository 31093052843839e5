/** `--journal` (or the default `<output>.journal`) naming a FIFO or a device is refused with one line, and the node is left as it was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finish, startCli, TASKS, tmp } from './helpers.js';

/** Runs the CLI; without the fix a FIFO journal hangs it, so it is killed (by its pid) after a while and reported. */
async function runBounded(args: string[]) {
  const child = startCli(args);
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  const r = await finish(child);
  clearTimeout(timer);
  assert.notEqual(r.signal, 'SIGKILL', `the run hung: ${r.stderr}`);
  return r;
}

test('--journal naming a FIFO is refused (exit 255, the message names it), and it stays a FIFO', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'j.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  for (const extra of [[], ['--resume'], ['--force']]) {
    const r = await runBounded(['run', `${TASKS}#square`, '1', '2', '--journal', fifo, '-q', ...extra]);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /is a FIFO \(named pipe\), not a regular file/);
    assert.ok(r.stderr.includes(fifo), r.stderr);
    assert.ok(statSync(fifo).isFIFO());
    assert.equal(existsSync(`${fifo}.lock`), false);
  }
});

test('a character device as --journal, or as the default <output>.journal, is refused and stays a device', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dev = join(dir, 'out.jsonl.journal');
  if (spawnSync('mknod', ['-m', '666', dev, 'c', '1', '3']).status !== 0) { t.skip('mknod is not permitted here'); return; }
  for (const args of [['--journal', dev], ['-o', join(dir, 'out.jsonl')]]) {
    const r = await runBounded(['run', `${TASKS}#square`, '1', '2', '-q', ...args]);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /is a character device, not a regular file/);
    assert.ok(statSync(dev).isCharacterDevice(), 'still a device node');
  }
});

test('an output that is a device gets no journal beside it', async (t) => {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dev = join(dir, 'null');
  if (spawnSync('mknod', ['-m', '666', dev, 'c', '1', '3']).status !== 0) { t.skip('mknod is not permitted here'); return; }
  const r = await runBounded(['run', `${TASKS}#square`, '1', '2', '-q', '-o', dev]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(statSync(dev).isCharacterDevice());
  assert.equal(existsSync(`${dev}.journal`), false);
});

test('a file that is not a journal at the --journal path: every mode says so (not "pass --resume or --force"), and the file is untouched', async () => {
  const dir = tmp();
  const path = join(dir, 'notes.txt');
  writeFileSync(path, 'my notes\n');
  for (const mode of [[], ['--resume'], ['--force']]) {
    const r = await finish(startCli(['run', `${TASKS}#square`, '2', '-q', '--journal', path, ...mode]));
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /is not a forkpool journal/, `mode ${mode.join(' ') || '(none)'}`);
    assert.doesNotMatch(r.stderr, /Pass --resume/);
    assert.equal(r.stdout, '', 'nothing ran');
  }
  assert.equal(readFileSync(path, 'utf8'), 'my notes\n');
});
