// W1 overhead: 20,000 no-op tasks submitted at once, tasks/s.
import { withPool, range, check } from './common.mjs';
import { elapsedNs, seconds } from '../lib/stats.mjs';

export async function run(create, sizes) {
  return withPool(create, 2, async (pool) => {
    const args = range(sizes.w1Tasks);
    const t0 = process.hrtime.bigint();
    const out = await pool.runMany('noop', args);
    const s = seconds(elapsedNs(t0));
    check(out.length === args.length && out.at(-1) === args.at(-1), 'noop results');
    return { tasksPerSec: args.length / s };
  });
}
