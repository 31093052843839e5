/**
 * Operating-system resources: running out of file descriptors, a worker
 * flooding its output, and grandchild processes. Each is observed from a
 * separate driver process, because the failure being prevented is the main
 * process crashing or never exiting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runtime, isThread, pidAlive, eventually, localOnly } from '../helpers.ts';

/** Each check runs a local pool in a driver process and watches that process's fds, memory, stdout or children. */
const DRIVERS = localOnly('a local pool in a driver process: its file descriptors, memory, stdout and worker process groups');

const driver = (name: string) => fileURLToPath(new URL(`../fixtures/abuse/drivers/${name}`, import.meta.url));

test('out of file descriptors (ulimit -n 256, 80 workers): the main process ends cleanly, never with a raw crash', { skip: DRIVERS }, () => {
  const r = spawnSync('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${driver('emfile.mjs')}" ${runtime}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `driver exited ${r.status} ${r.signal}: ${r.stderr}`);
  assert.match(r.stdout, /^(ok 200|failed PoolBrokenError ERR_FORKPOOL_POOL_BROKEN \S*)/m, r.stdout + r.stderr);
  if (r.stdout.startsWith('failed')) assert.match(r.stdout, /EMFILE|ENFILE|ERR_WORKER_INIT_FAILED/);
});

test('100 MB of output without a newline: logs "silent" drops it and main-process memory stays flat', { skip: DRIVERS }, () => {
  const r = spawnSync(process.execPath, [driver('flood.mjs'), 'silent', '100', runtime], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(out.growthMb < 40, `main process grew ${out.growthMb} MB`);
});

test('50 MB of output without a newline: logs "pipe" delivers it in marked pieces of at most 64 KiB', { skip: DRIVERS }, () => {
  const r = spawnSync(process.execPath, [driver('flood.mjs'), 'pipe', '50', runtime], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.chars, 50 * 1024 * 1024, 'no character lost');
  assert.ok(out.longest <= 64 * 1024, `a piece of ${out.longest} chars`);
  assert.ok(out.cut >= out.pieces - 1, 'every piece but the last is marked cut');
});

test('logs "inherit" with a stdout nobody reads: lines are dropped past a bounded backlog, and a note says how many', { skip: DRIVERS }, async () => {
  const child = spawn(process.execPath, [driver('inherit-flood.mjs'), '150', runtime], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  // Do not read stdout until the flood is over.
  child.stdout.pause();
  assert.ok(await eventually(() => /growth \d+/.test(err), 60_000), err);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stdout.resume();
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, err);
  const growth = Number(/growth (\d+)/.exec(err)![1]);
  assert.ok(growth < 100, `the main process grew ${growth} MB for 150 MB of unread output`);
  const note = /\[forkpool\] (\d+) worker stdout line\(s\) dropped/.exec(out);
  assert.ok(note, `no note about dropped lines in ${out.length} chars of output`);
  assert.ok(Number(note[1]) > 0);
});

const GROUPS = 'worker threads share the main process: their children are the main process\'s own';

for (const mode of ['terminate', 'join'] as const) {
  test(`a grandchild started by a task (sleep 300, inherited stdio) dies with its worker on ${mode}(), and the main process exits`, { skip: (isThread && GROUPS) || DRIVERS }, async () => {
    const child = spawn(process.execPath, [driver('groups.mjs'), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const [code] = await Promise.race([
      once(child, 'exit'),
      new Promise<never>((_, reject) => setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`driver did not exit: ${out}`)); }, 20_000)),
    ]);
    assert.equal(code, 0, out);
    const pid = Number(/grandchild (\d+)/.exec(out)?.[1]);
    assert.ok(pid > 0, out);
    assert.ok(await eventually(() => !pidAlive(pid), 3000), `grandchild ${pid} still alive`);
  });
}

test('a grandchild dies when the main process is SIGKILLed (the reaper kills the worker\'s process group)', { skip: (isThread && GROUPS) || DRIVERS }, async () => {
  const child = spawn(process.execPath, [driver('groups.mjs'), 'hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  assert.ok(await eventually(() => out.includes('holding'), 15_000), out);
  const pid = Number(/grandchild (\d+)/.exec(out)?.[1]);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok(await eventually(() => !pidAlive(pid), 5000), `grandchild ${pid} survived the main process`);
});
