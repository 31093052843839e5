// Queue put→get of small items between two workers, forkpool only: the
// workload of bench/shared.mjs's first row, without Python and the other
// rows, for before/after runs of one change (alternate two builds in fresh
// processes).
//
//   npm run build && node bench/queue-rate.mjs [--runtime process|thread] [--runs 3] [--items 20000]
import { Pool } from 'forkpool';
import { Manager, Queue } from '../dist/shared/index.js';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runtime = arg('--runtime', 'process');
const runs = Number(arg('--runs', 3));
const n = Number(arg('--items', 20_000));

// shared.mjs is also the task module (produce, consume, busy).
const pool = new Pool(new URL('./shared.mjs', import.meta.url), { processes: 2, runtime, logs: 'silent' });
await pool.ready();
// Each worker runs one task at a time: spread a few so both are warm and ready.
await Promise.all([0, 1, 2, 3].map(() => pool.apply('busy', [10])));
const manager = new Manager();
const rates = [];
try {
  for (let r = 0; r < runs; r++) {
    const q = new Queue();
    const barrier = manager.barrier(3);
    const tasks = [pool.apply('produce', [q, barrier, n, 0]), pool.apply('consume', [q, barrier, n])];
    await barrier.wait();
    const t0 = performance.now();
    await tasks[1];
    rates.push(n / ((performance.now() - t0) / 1000));
    await tasks[0];
    await q.close();
  }
} finally {
  await manager.shutdown();
  await pool.terminate();
}
rates.sort((a, b) => a - b);
console.log(`${runtime}: Queue small items ${(rates[rates.length >> 1] / 1000).toFixed(1)}k items/s (median of ${runs}; ${rates.map((x) => (x / 1000).toFixed(1)).join(', ')})`);
