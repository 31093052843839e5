// W4 start-up: a 2-worker pool from creation to its first result, and to
// destroyed; plus one worker's RSS. The RSS probe runs between the two timed
// phases and is not counted: toDestroyedMs = firstResultMs + destroyMs.
import { elapsedNs } from '../lib/stats.mjs';

const WORKERS = 2;
const MB = 1024 * 1024;

export async function run(create) {
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const pool = await create(WORKERS);
  await pool.run('noop', 1);
  const firstResultMs = elapsedNs(t0) / 1e6;

  // A thread shares the process, so for threads report the main process's
  // growth per worker instead.
  const workerRssMB =
    pool.runtime === 'process'
      ? (await pool.run('rss', 0)) / MB
      : (process.memoryUsage().rss - rssBefore) / WORKERS / MB;

  const t1 = process.hrtime.bigint();
  await pool.destroy();
  const destroyMs = elapsedNs(t1) / 1e6;
  return { firstResultMs, toDestroyedMs: firstResultMs + destroyMs, destroyMs, workerRssMB };
}
