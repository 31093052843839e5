// W5 CPU scaling: 40 x fib(27) and 40 x fib(32) on 1 worker against 2.
// Speedup = time on 1 worker / time on 2 (ideal 2.0 on this 2-core machine).
import { withPool, check } from './common.mjs';
import { fib } from '../workers/tasks.mjs';
import { elapsedNs } from '../lib/stats.mjs';

async function timeFibs(create, workers, n, count) {
  const expected = fib(n);
  return withPool(create, workers, async (pool) => {
    const t0 = process.hrtime.bigint();
    const out = await pool.runMany('fib', Array(count).fill(n));
    const ms = elapsedNs(t0) / 1e6;
    check(out.length === count && out.every((v) => v === expected), `fib(${n})`);
    return ms;
  });
}

export async function run(create, sizes) {
  const metrics = {};
  // 'Small' and 'Large' rather than the grain in the key, so quick runs
  // (smaller grains) land in the same table columns.
  for (const [label, n] of [['Small', sizes.w5Grains[0]], ['Large', sizes.w5Grains[1]]]) {
    const one = await timeFibs(create, 1, n, sizes.w5Tasks);
    const two = await timeFibs(create, 2, n, sizes.w5Tasks);
    Object.assign(metrics, { [`speedup${label}`]: one / two, [`ms1${label}`]: one, [`ms2${label}`]: two });
  }
  return metrics;
}
