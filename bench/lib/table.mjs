// Summarises the runs of each (row, workload) pair and renders the markdown
// table: one row per library, one column per metric, "median (min–max)".
import { median } from './stats.mjs';

const si = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fixed = (digits) => (x) => x.toFixed(digits);

export const COLUMNS = [
  { workload: 'W1', key: 'tasksPerSec', head: 'W1 tasks/s', fmt: si },
  { workload: 'W2', key: 'medianUs', head: 'W2 median µs', fmt: fixed(1) },
  { workload: 'W2', key: 'p99Us', head: 'W2 p99 µs', fmt: fixed(0) },
  { workload: 'W3', key: 'itemsPerSec', head: 'W3 items/s', fmt: si },
  { workload: 'W4', key: 'firstResultMs', head: 'W4 first result ms', fmt: fixed(1) },
  { workload: 'W4', key: 'toDestroyedMs', head: 'W4 to destroyed ms', fmt: fixed(1) },
  { workload: 'W4', key: 'workerRssMB', head: 'W4 worker RSS MB', fmt: fixed(1) },
  { workload: 'W5', key: 'speedupSmall', head: 'W5 speedup small', fmt: fixed(2) },
  { workload: 'W5', key: 'speedupLarge', head: 'W5 speedup large', fmt: fixed(2) },
  { workload: 'W6', key: 'stringMBps', head: 'W6 string MB/s', fmt: fixed(0) },
  { workload: 'W6', key: 'binaryMBps', head: 'W6 binary MB/s', fmt: fixed(0) },
];

/** runs: [{ row, workload, metrics?, error? }] -> { [row]: { [workload]: { [key]: stat } } } */
export function summarise(runs) {
  const out = {};
  for (const run of runs) {
    const cell = ((out[run.row] ??= {})[run.workload] ??= { failures: 0, values: {} });
    if (run.error) cell.failures++;
    for (const [key, v] of Object.entries(run.metrics ?? {})) (cell.values[key] ??= []).push(v);
  }
  for (const row of Object.values(out)) {
    for (const cell of Object.values(row)) {
      for (const [key, vs] of Object.entries(cell.values)) {
        const nums = vs.filter((v) => typeof v === 'number');
        // A string (e.g. 'wrong type') in any repeat is the verdict for the cell.
        const verdict = vs.find((v) => typeof v === 'string');
        cell[key] = nums.length === vs.length
          ? { median: median(nums), min: Math.min(...nums), max: Math.max(...nums), n: nums.length }
          : { verdict, n: vs.length };
      }
      delete cell.values;
    }
  }
  return out;
}

function renderCell(col, stat, cell) {
  if (!cell) return '–';
  if (!stat) return cell.failures ? `error ×${cell.failures}` : '–';
  if (stat.verdict !== undefined) return stat.verdict;
  const range = stat.n > 1 ? ` (${col.fmt(stat.min)}–${col.fmt(stat.max)})` : '';
  const failed = cell.failures ? ` +${cell.failures} failed` : '';
  return `${col.fmt(stat.median)}${range}${failed}`;
}

export function markdownTable(summary, rowIds, workloads) {
  const cols = COLUMNS.filter((c) => workloads.includes(c.workload));
  const lines = [
    `| library | ${cols.map((c) => c.head).join(' | ')} |`,
    `| --- | ${cols.map(() => '---').join(' | ')} |`,
  ];
  for (const id of rowIds) {
    const cells = cols.map((c) => renderCell(c, summary[id]?.[c.workload]?.[c.key], summary[id]?.[c.workload]));
    lines.push(`| ${id} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
