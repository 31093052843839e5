// Under the process runtime a worker's take log is a file in /dev/shm (or the
// temp directory). It must never outlive the processes: before, it kept its
// name until the main process read the worker's announcement, and a main
// process that exited within ~20 ms of a worker's first get left it behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Pool } from 'forkpool';
import { Queue } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';
import { eventually, pidAlive } from '../helpers.ts';

const MAIN = new URL('../fixtures/shared/main-exits.mjs', import.meta.url);
const CHECKS = new URL('../fixtures/shared/checks.mjs', import.meta.url);
const skip = runtime === 'thread' ? 'the thread runtime keeps its take log in a SharedArrayBuffer' : false;

function logFilesOf(pid: number): string[] {
  const dirs = [...new Set(['/dev/shm', tmpdir()])].filter((d) => existsSync(d));
  return dirs.flatMap((d) => readdirSync(d).filter((f) => f.startsWith(`forkpool-takes-${pid}-`)));
}

test('a main process that exits 0 to 40 ms after its worker starts reading a Queue leaves no take-log file behind', { skip }, async () => {
  const pids: number[] = [];
  for (const delay of [0, 2, 5, 10, 20, 40]) {
    const out = execFileSync(process.execPath, [MAIN.pathname, String(delay)], { encoding: 'utf8', timeout: 30_000 });
    pids.push(Number(out.trim().split('\n')[0]));
  }
  for (const pid of pids) assert.ok(await eventually(() => !pidAlive(pid), 5000), `worker ${pid} exited with its main process`);
  assert.deepEqual(pids.flatMap(logFilesOf), [], 'no take-log file left');
});

test('a worker reading a Queue ahead keeps no named take-log file while it runs, and its take log still counts', { skip }, async () => {
  await using pool = new Pool(CHECKS, { processes: 1, runtime: 'process', logs: 'silent' });
  const pid = await pool.apply('workerPid', []) as number;
  const q = new Queue<number>();
  for (let k = 0; k < 5000; k++) void q.put(k);
  const drained = pool.apply('drain', [q, 4000]);
  assert.ok(await eventually(async () => (await q.qsize()) < 5000, 5000), 'the worker is reading');
  assert.deepEqual(logFilesOf(pid), [], 'the file has no name');
  assert.equal(await drained, 4000);
  // qsize() reads the take log: the 4000 taken are not counted, lent or not.
  assert.equal(await q.qsize(), 1000);
});
