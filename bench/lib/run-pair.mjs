// Runs one (row, workload) pair in a fresh process and returns its result.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../child.mjs', import.meta.url));
const PYTHON = fileURLToPath(new URL('../python/bench.py', import.meta.url));
export const RESULT_MARK = 'BENCH_RESULT '; // also printed by python/bench.py
const STDERR_TAIL = 2000; // enough of a failing child's stderr to see why

export function commandFor(row, workload, quick) {
  const extra = quick ? ['--quick'] : [];
  return row.python
    ? ['python3', [PYTHON, row.python, workload, ...extra]]
    : [process.execPath, [CHILD, row.id, workload, ...extra]];
}

export function runPair(row, workload, { quick, timeoutS }) {
  const [cmd, args] = commandFor(row, workload, quick);
  const started = performance.now();
  // Own process group, so a timeout can kill the child AND the pool workers
  // it spawned, without touching anything else.
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-STDERR_TAIL)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, timeoutS * 1000);

  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      let result;
      if (timedOut) result = { error: `timeout after ${timeoutS} s` };
      else if (!line) result = { error: `no result (exit ${code ?? signal}): ${stderr.trim().slice(-500)}` };
      else result = JSON.parse(line.slice(RESULT_MARK.length));
      resolve({ row: row.id, workload, wallMs, ...result });
    });
  });
}
