// The targets of the performance issue (issue 13), checked against rows
// measured in the same run. Each ratio is taken per repeat (the two rows ran
// minutes apart at most, in the same interleaved round) and the median of
// those ratios is reported, so one slow minute on a shared machine moves
// both sides of a ratio rather than one.
import { median } from './stats.mjs';

/**
 * `higher`: the value must be at least `factor` × the reference (throughput).
 * `lower`: at most `factor` × the reference (latency, memory, time).
 */
export const TARGETS = [
  { label: 'W1 process tasks/s ≥ 1.0× raw fork floor', row: 'forkpool-process', ref: 'floor-fork-json', workload: 'W1', key: 'tasksPerSec', dir: 'higher', factor: 1 },
  { label: 'W1 thread tasks/s ≥ 0.5× raw postMessage', row: 'forkpool-thread', ref: 'floor-worker-threads', workload: 'W1', key: 'tasksPerSec', dir: 'higher', factor: 0.5 },
  { label: 'W2 process median ≤ 1.15× raw fork floor', row: 'forkpool-process', ref: 'floor-fork-json', workload: 'W2', key: 'medianUs', dir: 'lower', factor: 1.15 },
  { label: "W2 process p99 ≤ Python's p99", row: 'forkpool-process', ref: 'python-mp', workload: 'W2', key: 'p99Us', dir: 'lower', factor: 1 },
  { label: "W2 thread median ≤ piscina's", row: 'forkpool-thread', ref: 'piscina', workload: 'W2', key: 'medianUs', dir: 'lower', factor: 1 },
  { label: "W3 default map ≥ Python's default map", row: 'forkpool-process', ref: 'python-mp', workload: 'W3', key: 'itemsPerSec', dir: 'higher', factor: 1 },
  { label: 'W3 default map ≥ 0.8× hand-chunked raw fork floor', row: 'forkpool-process', ref: 'floor-fork-json', workload: 'W3', key: 'itemsPerSec', dir: 'higher', factor: 0.8 },
  { label: 'W4 first result ≤ bare fork floor', row: 'forkpool-process', ref: 'floor-fork-json', workload: 'W4', key: 'firstResultMs', dir: 'lower', factor: 1 },
  { label: 'W4 worker RSS ≤ 1.1× a bare node child', row: 'forkpool-process', ref: 'floor-fork-json', workload: 'W4', key: 'workerRssMB', dir: 'lower', factor: 1.1 },
  { label: 'W6 strings ≥ advanced-serialization floor', row: 'forkpool-process', ref: 'floor-fork-advanced', workload: 'W6', key: 'stringMBps', dir: 'higher', factor: 1 },
];

/** runs: the raw runs of bench/run.mjs ({ repeat, row, workload, metrics }). Returns one line per target that has data. */
export function checkTargets(runs) {
  const at = new Map();
  for (const r of runs) if (r.metrics) at.set(`${r.repeat}|${r.row}|${r.workload}`, r.metrics);
  const out = [];
  for (const t of TARGETS) {
    const ratios = [];
    const values = [];
    const refs = [];
    for (const r of runs) {
      if (r.row !== t.row || r.workload !== t.workload || !r.metrics) continue;
      const mine = r.metrics[t.key];
      const theirs = at.get(`${r.repeat}|${t.ref}|${t.workload}`)?.[t.key];
      if (typeof mine !== 'number' || typeof theirs !== 'number' || theirs === 0) continue;
      ratios.push(mine / theirs);
      values.push(mine);
      refs.push(theirs);
    }
    if (!ratios.length) continue;
    const ratio = median(ratios);
    const met = t.dir === 'higher' ? ratio >= t.factor : ratio <= t.factor;
    out.push({ ...t, value: median(values), reference: median(refs), ratio, n: ratios.length, met });
  }
  return out;
}

const num = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : x >= 100 ? x.toFixed(0) : x.toFixed(1));

export function targetTable(results) {
  if (!results.length) return '';
  const lines = ['| target | forkpool | reference (row) | ratio, median of repeats | met |', '| --- | --- | --- | --- | --- |'];
  for (const r of results) {
    lines.push(`| ${r.label} | ${num(r.value)} | ${num(r.reference)} (${r.ref}) | ${r.ratio.toFixed(2)}× (n=${r.n}) | ${r.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
