// Where W6's string echo spends the main process's CPU: its main thread
// against V8's helper threads (garbage collection helpers and TurboFan's
// background compiles), for forkpool's process runtime and the raw fork floor
// with advanced serialization, the row W6's string target compares with.
//
//   npm run build && node bench/w6-cpu.mjs [--runs 4] [--node-flags=--single-threaded-gc]
//
// Each run is a fresh process doing what run.mjs's W6 does first: 200 no-op
// warm-up calls, then 2,000 echoes of a 100 KB string, timed. Rows alternate.
// CPU comes from /proc (the main thread, the process's other threads, and
// each worker), so it is Linux only. `--node-flags` passes V8 flags to the
// main process: `--single-threaded-gc` puts collection on the main thread,
// leaving only compiles in the helpers; `--no-concurrent-recompilation` the
// reverse.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const ROWS = ['forkpool-process', 'floor-fork-advanced'];
const BYTES = 102_400;
const COUNT = 2_000;
const SPAWN = { encoding: 'utf8', timeout: 120_000 };

/** CPU ms of thread `tid` of `pid`, or of the whole process when `tid` is omitted. */
function cpuMs(pid, tid) {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function threads() {
  let main = 0, helpers = 0;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    if (tid === String(process.pid)) main = cpuMs(process.pid, tid);
    else helpers += cpuMs(process.pid, tid);
  }
  return { main, helpers };
}

async function child(row) {
  const { create } = row === 'forkpool-process' ? await import('./adapters/forkpool.mjs') : await import('./adapters/raw.mjs');
  const pool = await create(row === 'forkpool-process' ? { workers: 2, runtime: 'process' } : { workers: 2, kind: 'process', serialization: 'advanced' });
  await pool.runMany('noop', Array.from({ length: 200 }, (_, i) => i));
  const kids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const text = 'forkpool'.repeat(BYTES / 8);
  const before = { ...threads(), workers: kids.map((p) => cpuMs(p)) };
  const t0 = performance.now();
  const out = await pool.runMany('echo', Array(COUNT).fill(text));
  const ms = performance.now() - t0;
  const after = { ...threads(), workers: kids.map((p) => cpuMs(p)) };
  if (!out.every((v) => v === text)) throw new Error('wrong echo');
  await pool.destroy();
  const workers = after.workers.reduce((s, c, i) => s + c - before.workers[i], 0);
  console.log(JSON.stringify({ mbps: (COUNT * BYTES) / ms / 1e3, wall: ms, main: after.main - before.main, helpers: after.helpers - before.helpers, workers }));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
  process.exit(0);
}

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 4));
const flags = process.argv.filter((a) => a.startsWith('--node-flags=')).flatMap((a) => a.slice('--node-flags='.length).split(' ').filter(Boolean));
const results = new Map(ROWS.map((r) => [r, []]));
for (let i = 0; i < runs; i++) {
  for (const row of ROWS) {
    const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--child', row], SPAWN);
    if (r.status !== 0) throw new Error(`${row}: ${r.stderr || r.stdout}`);
    results.get(row).push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
}
const fmt = (xs) => `${median(xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`W6 strings, ${COUNT} echoes of ${BYTES / 1024} KB, ${runs} fresh processes per row, alternating${flags.length ? `, main process flags ${flags.join(' ')}` : ''}`);
console.log('medians (each run in brackets); CPU in ms over the timed echoes');
console.log('| row | MB/s | main thread | V8 helper threads | workers (both) |\n| --- | --- | --- | --- | --- |');
for (const [row, rs] of results) {
  console.log(`| ${row} | ${fmt(rs.map((r) => r.mbps))} | ${fmt(rs.map((r) => r.main))} | ${fmt(rs.map((r) => r.helpers))} | ${fmt(rs.map((r) => r.workers))} |`);
}
console.log(`load average ${loadavg()[0].toFixed(2)}`);
