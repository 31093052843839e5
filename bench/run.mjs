// The benchmark suite of issue 5. Every (row, workload) pair runs in its own
// fresh process; repeats are interleaved (all pairs once, then all again...)
// so a slow minute on the machine hits every row alike, and each repeat starts
// at a different pair so no row always runs first.
// Usage: node bench/run.mjs [--repeats 5] [--only W1,W3] [--libs piscina,...] [--quick]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROWS, PYTHON_SKIP_NOTE } from './rows.mjs';
import { parseArgs } from './lib/args.mjs';
import { sizesFor } from './lib/sizes.mjs';
import { runPair } from './lib/run-pair.mjs';
import { summarise, markdownTable } from './lib/table.mjs';
import { machine, pythonVersion } from './lib/machine.mjs';
import { checkTargets, targetTable } from './lib/targets.mjs';

const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'];
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function selectRows(opts, workloads, notes) {
  const unknown = (opts.libs ?? []).filter((id) => !ROWS.some((r) => r.id === id));
  if (unknown.length) throw new Error(`unknown --libs ${unknown.join(', ')}; known: ${ROWS.map((r) => r.id).join(', ')}`);
  let rows = opts.libs ? ROWS.filter((r) => opts.libs.includes(r.id)) : ROWS;
  if (!existsSync(DIST) && rows.some((r) => r.adapter === 'forkpool')) {
    notes.push('forkpool rows skipped: dist/index.js is missing (run `npm run build`).');
    rows = rows.filter((r) => r.adapter !== 'forkpool');
  }
  if (rows.some((r) => r.python)) {
    if (!pythonVersion()) {
      notes.push('Python rows skipped: python3 is not on PATH.');
      rows = rows.filter((r) => !r.python);
    } else if (workloads.includes('W5')) notes.push(PYTHON_SKIP_NOTE);
  }
  return rows;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const notes = [];
  const workloads = opts.only ?? WORKLOADS;
  const badW = workloads.filter((w) => !WORKLOADS.includes(w));
  if (badW.length) throw new Error(`unknown --only ${badW.join(', ')}; known: ${WORKLOADS.join(', ')}`);
  const rows = selectRows(opts, workloads, notes).filter((row) => workloads.some((w) => !row.skip?.includes(w)));
  const pairs = rows.flatMap((row) =>
    workloads.filter((w) => !row.skip?.includes(w)).map((w) => ({ row, workload: w })),
  );
  // Workload-major, so one workload's rows run close together in time.
  pairs.sort((a, b) => workloads.indexOf(a.workload) - workloads.indexOf(b.workload));
  for (const note of notes) console.error(`note: ${note}`);

  const startedAt = new Date();
  const runs = [];
  for (let r = 0; r < opts.repeats; r++) {
    const shift = Math.floor((r * pairs.length) / opts.repeats);
    const order = [...pairs.slice(shift), ...pairs.slice(0, shift)];
    for (const [i, { row, workload }] of order.entries()) {
      const run = await runPair(row, workload, opts);
      runs.push({ repeat: r + 1, ...run });
      const status = run.error ? `ERROR ${run.error.split('\n')[0]}` : `${(run.wallMs / 1000).toFixed(1)} s`;
      console.error(`[${r + 1}/${opts.repeats} ${i + 1}/${order.length}] ${row.id} ${workload}: ${status}`);
    }
  }

  const summary = summarise(runs);
  const table = markdownTable(summary, rows.map((r) => r.id), workloads);
  const legend = legendFor(opts, workloads, notes);
  console.log(`\n${table}\n\n${legend}`);
  const targets = checkTargets(runs);
  const targetsMd = targetTable(targets);
  if (targetsMd) console.log(`\nTargets (issue 13), each ratio taken within one repeat:\n\n${targetsMd}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const finishedAt = new Date();
  const report = { startedAt, finishedAt, command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), machine: machine(), options: opts, sizes: sizesFor(opts.quick), notes, summary, table, targets, runs };
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\n${runs.length} runs in ${((finishedAt - startedAt) / 1000).toFixed(0)} s; JSON: ${file}`);
}

function legendFor(opts, workloads, notes) {
  const m = machine();
  const s = sizesFor(opts.quick);
  const has = (w) => workloads.includes(w);
  return [
    `Median (min–max) of ${opts.repeats} repeat(s), each pair in a fresh process; 2 workers unless noted.${opts.quick ? ' QUICK sizes: smoke test only, not comparable.' : ''}`,
    has('W3') && 'W3: peers without their own batching get hand-made chunks of 1,000; python-futures uses map(chunksize=1000).',
    has('W4') && 'W4 worker RSS: one worker process; for thread rows, main-process RSS growth per worker.',
    has('W5') && `W5 speedup = time on 1 worker / time on 2 for ${s.w5Tasks} × fib(${s.w5Grains[0]}) (small) and fib(${s.w5Grains[1]}) (large).`,
    has('W6') && "W6: MB = 10^6 bytes per direction. 'wrong type': the 1 MB Uint8Array did not come back as a typed array with the same bytes (measured once, then not timed further).",
    ...notes,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, ${m.os}, Node ${m.node}, ${m.python}${m.cpuIdle ? `, cpuidle ${m.cpuIdle}` : ''}; load average ${m.loadavg1m} at the end.`,
  ].filter(Boolean).join('\n');
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
