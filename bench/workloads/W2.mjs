// W2 latency: 2,000 sequential single tasks, each awaited before the next.
import { withPool } from './common.mjs';
import { median, percentile } from '../lib/stats.mjs';

export async function run(create, sizes) {
  return withPool(create, 2, async (pool) => {
    const micros = [];
    for (let i = 0; i < sizes.w2Tasks; i++) {
      const t0 = process.hrtime.bigint();
      await pool.run('noop', i);
      micros.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    return { medianUs: median(micros), p99Us: percentile(micros, 99) };
  });
}
