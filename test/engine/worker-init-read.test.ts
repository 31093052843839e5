/**
 * A worker process reads `init` off its command pipe synchronously
 * (src/worker/process-port.ts). When that read cannot work (a command pipe
 * that is non-blocking, so the read finds nothing yet), the worker must fall
 * back to its asynchronous reader and still start: these tests drive the
 * built worker entry by hand, over a FIFO opened non-blocking as its fd 3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, encodeFrame } from '../../src/protocol/framing.ts';
import { PROTOCOL_VERSION, type Command, type WorkerEvent } from '../../src/protocol/messages.ts';
import { workerEntryPath } from '../../dist/runtime/entry-path.js';
import { PROCESS_WORKER_ARG } from '../../dist/worker/kind.js';

const TASKS = new URL('../fixtures/plain.js', import.meta.url).href;
const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version'], { stdio: 'ignore' }).status === 0;

/** A worker process whose fd 3 is the read end of a FIFO opened with O_NONBLOCK; `send` writes frames into it. */
function startWorker() {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-fifo-'));
  const fifo = join(dir, 'commands');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY);
  const child = spawn(process.execPath, [workerEntryPath(), PROCESS_WORKER_ARG], {
    stdio: ['ignore', 'pipe', 'pipe', readEnd, 'pipe'],
  });
  closeSync(readEnd);
  const events: WorkerEvent[] = [];
  const waiters: Array<() => void> = [];
  const reader = new FrameReader();
  (child.stdio[4] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    reader.push(chunk, (m) => events.push(m as WorkerEvent));
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  const next = async (t: WorkerEvent['t']): Promise<WorkerEvent> => {
    for (;;) {
      const i = events.findIndex((e) => e.t === t);
      if (i >= 0) return events.splice(i, 1)[0]!;
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}) before "${t}": ${stderr}`);
      await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
    }
  };
  return {
    child,
    send(cmd: Command) { for (const b of encodeFrame(cmd)) writeSync(writeEnd, b); },
    next,
    close() {
      closeSync(writeEnd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const init: Command = { t: 'init', v: PROTOCOL_VERSION, module: TASKS, workerId: 1, initargs: [], runtime: 'process', logs: 0 };

test('a worker whose command pipe is non-blocking still starts: init written late arrives through its reader, and tasks run', { skip: hasMkfifo ? false : 'needs mkfifo (POSIX)' }, async () => {
  const w = startWorker();
  try {
    // Late enough that the worker's synchronous read found nothing and it fell back.
    await new Promise((r) => setTimeout(r, 300));
    w.send(init);
    const ready = await w.next('ready');
    assert.equal(ready.t === 'ready' && ready.pid, w.child.pid);
    w.send({ t: 'run', tasks: [{ id: 1, n: 'inc', a: [41], at: 1 }] });
    const done = await w.next('done');
    assert.deepEqual(done.t === 'done' && done.o, { ok: true, v: 42 });
  } finally {
    w.close();
    w.child.kill('SIGKILL');
  }
});

test('a worker whose command pipe closes before init exits on its own', { skip: hasMkfifo ? false : 'needs mkfifo (POSIX)' }, async () => {
  const w = startWorker();
  const exited = new Promise<number | null>((resolve) => w.child.on('exit', (code) => resolve(code)));
  await new Promise((r) => setTimeout(r, 300));
  w.close();
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
  try {
    assert.equal(await exited, 0);
  } finally {
    clearTimeout(timer);
  }
});
