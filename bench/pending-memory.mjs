// Heap bytes held per waiting `applyAsync` call in the main process: what a
// burst like W1's (20,000 calls submitted at once) keeps alive until its
// results come back, and what every scavenge during the burst copies.
//
//   npm run build && node --expose-gc bench/pending-memory.mjs [--runs 3]
//
// Each run is a fresh process: a 2-worker pool, 200 warm-up calls, then the
// heap used (after a full collection) before and after submitting 20,000
// calls in one synchronous loop, so none has come back yet.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const N = 20_000;

async function child() {
  const { Pool } = await import('forkpool');
  const pool = new Pool(new URL('./workers/tasks.mjs', import.meta.url), { processes: 2, logs: 'silent' });
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.applyAsync('noop', [i])));
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const pending = [];
  for (let i = 0; i < N; i++) pending.push(pool.applyAsync('noop', [i]));
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  await Promise.all(pending);
  await pool.terminate();
  console.log(((after - before) / N).toFixed(0));
}

if (process.argv[2] === '--child') {
  await child();
} else {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 3;
  const bytes = [];
  for (let r = 0; r < runs; r++) {
    const out = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child'], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
    bytes.push(Number(out.stdout.trim()));
  }
  console.log(`bytes per waiting applyAsync (the caller's argument array included): ${bytes.join(', ')}`);
}
