// Runs ONE (row, workload) pair in this fresh process and prints its result
// as a single `BENCH_RESULT {json}` line; bench/run.mjs spawns one per pair.
// Usage: node bench/child.mjs <row-id> <W1..W6> [--quick]
import { ROWS } from './rows.mjs';
import { sizesFor } from './lib/sizes.mjs';
import { RESULT_MARK } from './lib/run-pair.mjs';

const [rowId, workload] = process.argv.slice(2);
const row = ROWS.find((r) => r.id === rowId && r.adapter);
let out;
try {
  if (!row) throw new Error(`unknown Node row '${rowId}'`);
  const adapter = await import(`./adapters/${row.adapter}.mjs`);
  const { run } = await import(`./workloads/${workload}.mjs`);
  const create = (workers) => adapter.create({ workers, ...row.options });
  out = { metrics: await run(create, sizesFor(process.argv.includes('--quick'))) };
} catch (err) {
  out = { error: String(err?.stack ?? err) };
}
process.stdout.write(`${RESULT_MARK}${JSON.stringify(out)}\n`, () => {
  // Exit explicitly: a peer that leaks a handle must not hang the suite.
  process.exit(out.error ? 1 : 0);
});
