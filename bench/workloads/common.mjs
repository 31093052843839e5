// Helpers shared by the workloads. `create(workers)` is the row's adapter
// bound to its options; it resolves to the interface in adapters/README.md.

// Identical for every row: makes sure workers are up and the message path is
// JIT-warm before the clock starts, so we time steady state, not start-up.
const WARMUP_TASKS = 200;

export async function withPool(create, workers, body) {
  const pool = await create(workers);
  try {
    await pool.runMany('noop', Array.from({ length: WARMUP_TASKS }, (_, i) => i));
    return await body(pool);
  } finally {
    await pool.destroy();
  }
}

export const range = (n) => Array.from({ length: n }, (_, i) => i);

export function check(ok, message) {
  if (!ok) throw new Error(`wrong result: ${message}`);
}
