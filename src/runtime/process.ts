/**
 * The process runtime: one child process per worker.
 *
 * stdio layout: 0 ignored, 1/2 piped (raw writes from native code or V8's
 * fatal errors, which bypass our console capture), 3 commands in, 4 events out.
 * The child's exit is reported only after its event pipe and stdio have been
 * read to the end, so a result or log line written just before a crash is
 * always delivered before the crash is.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { FrameReader, encodeFrame } from '../protocol/framing.js';
import type { WorkerEvent } from '../protocol/messages.js';
import type { RuntimeWorker, SpawnWorker } from './types.js';
import { workerEntryPath } from './entry-path.js';
import { forgetPid, watchPid } from './reaper.js';

/** After the process exits, how long to wait for its pipes to drain (a grandchild may hold them open). */
const PIPE_DRAIN_AFTER_EXIT_MS = 1000;
/** V8 prints this to stderr when a heap allocation fails. */
const V8_OOM_MARKER = /heap out of memory|Reached heap limit|Allocation failed/;
const PAGE_SIZE = 4096;

export const spawnProcessWorker: SpawnWorker = (spec, handlers) => {
  const execArgv = [...spec.execArgv];
  if (spec.maxOldGenerationSizeMb !== undefined) execArgv.push(`--max-old-space-size=${spec.maxOldGenerationSizeMb}`);
  const child = spawn(process.execPath, [...execArgv, workerEntryPath()], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: spec.env,
    cwd: spec.cwd,
    windowsHide: true,
  });
  if (child.pid !== undefined) watchPid(child.pid);
  const commands = child.stdio[3] as Writable;
  const events = child.stdio[4] as Readable;
  const reader = new FrameReader();
  let stderrTail = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  let open = 3; // events, stdout, stderr
  let reported = false;
  let drainTimer: NodeJS.Timeout | undefined;

  const report = () => {
    if (reported || !exited) return;
    reported = true;
    if (drainTimer) clearTimeout(drainTimer);
    handlers.onExit({
      exitCode: exited.code,
      signal: exited.signal,
      outOfMemory: V8_OOM_MARKER.test(stderrTail),
      error: spawnError,
    });
  };
  const closed = () => { if (--open === 0) report(); };

  events.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk, (m) => handlers.onEvent(m as WorkerEvent));
    } catch (err) {
      // A handler bug must not desynchronise the stream silently.
      process.nextTick(() => { throw err; });
    }
  });
  events.on('close', closed);
  for (const name of ['stdout', 'stderr'] as const) {
    const s = child[name]!;
    s.setEncoding('utf8');
    s.on('data', (text: string) => {
      if (name === 'stderr') stderrTail = (stderrTail + text).slice(-4096);
      handlers.onOutput(name, text);
    });
    s.on('close', closed);
  }
  // Writing to a dead child raises EPIPE on this stream; the exit path reports it.
  commands.on('error', () => {});
  child.on('error', (err) => {
    spawnError = err;
    if (child.pid === undefined) {
      exited = { code: null, signal: null };
      open = 0;
      report();
    }
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    if (child.pid !== undefined) forgetPid(child.pid);
    if (open === 0) report();
    else drainTimer = setTimeout(report, PIPE_DRAIN_AFTER_EXIT_MS).unref();
  });

  const handles = [child, commands, events, child.stdout!, child.stderr!] as Array<{ ref?(): void; unref?(): void }>;
  return {
    pid: child.pid,
    send(command) {
      const frame = encodeFrame(command);
      if (!commands.writable) return;
      if (frame.length === 1) {
        commands.write(frame[0]);
        return;
      }
      commands.cork();
      for (const b of frame) commands.write(b);
      commands.uncork();
    },
    kill(signal) {
      if (exited) return;
      try { child.kill(signal); } catch { /* already gone */ }
    },
    memory() {
      if (exited || child.pid === undefined || process.platform !== 'linux') return undefined;
      try {
        const statm = readFileSync(`/proc/${child.pid}/statm`, 'latin1');
        return Number(statm.split(' ')[1]) * PAGE_SIZE;
      } catch {
        return undefined;
      }
    },
    ref() { for (const h of handles) h.ref?.(); },
    unref() { for (const h of handles) h.unref?.(); },
  } satisfies RuntimeWorker;
};
