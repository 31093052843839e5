#!/usr/bin/env node
/**
 * Runs the test suite: the pool and shared-object suites once per runtime
 * (FORKPOOL_TEST_RUNTIME=process, then thread), everything else once, plus the
 * type tests. Prints one closing line with the totals.
 *
 * Then the conformance run, `pool (redis)`: test/pool again with
 * FORKPOOL_TEST_BACKEND=redis, every pool on the distributed backend (a
 * private redis-server and 2 `forkpool worker -j 1` nodes per task module,
 * test/helpers.ts `makePool`); checks that only local workers have (pids,
 * signals to them, their memory, local-only options...) skip there, each with
 * its reason. It runs when redis-server is installed; with
 * FORKPOOL_REQUIRE_REDIS=1 (CI) a missing redis-server fails it instead.
 * All of test/pool, not a selection: skipped checks cost nothing.
 *
 * Every test file of every run is one job (`node --test` on that file, with
 * its run's environment), and `--jobs` of them (default 2, the CI machine's
 * cores) run at a time across all the runs, the slowest known files first:
 * one run per `node --test` left a core idle while the last long file of
 * each run finished alone. A file's output is printed whole when it ends.
 * At the end: the wall time summed per run, the slowest files, and the
 * closing line with the totals.
 *
 *   node scripts/test.mjs [--runtime process|thread] [--only pool,shared,...] [--backend local|redis] [--jobs N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const only = opt('--only')?.split(',');
const runtimes = opt('--runtime') ? [opt('--runtime')] : ['process', 'thread'];
const jobs = Number(opt('--jobs') ?? 2);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs expects a positive integer, got ${opt('--jobs')}`);
/** `local`: no conformance run; `redis`: only it; default both. */
const backendOpt = opt('--backend');
if (backendOpt !== undefined && backendOpt !== 'local' && backendOpt !== 'redis') throw new Error(`--backend expects local or redis, got ${backendOpt}`);
const redisInstalled = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
/** The conformance run needs redis-server; CI (FORKPOOL_REQUIRE_REDIS=1) runs it regardless, so a missing one fails there. */
const conformance = backendOpt !== 'local' && runtimes.includes('process') && (redisInstalled || process.env.FORKPOOL_REQUIRE_REDIS === '1');
/** Suites whose behaviour depends on the runtime. */
const PER_RUNTIME = ['pool', 'chaos', 'shared'];
/**
 * Files that take a minute or more in some run (`=== slowest files` at the
 * end of a run lists them), started first so that none ends the suite alone
 * on one core. Order only: a file missing here just starts later.
 */
const SLOW_FIRST = [
  'test/pool/item-log.test.ts', 'test/chaos/chaos.test.ts', 'test/shared/stress.test.ts', 'test/pool/imap-chunks.test.ts',
  'test/pool/scheduling.test.ts', 'test/pool/lifecycle.test.ts', 'test/cli/resume.test.ts', 'test/cluster/run-resume.test.ts',
  'test/pool/api.test.ts', 'test/pool/resources.test.ts', 'test/cli/output.test.ts', 'test/cluster/recovery.test.ts',
  'test/cluster/run-redis-errors.test.ts', 'test/cluster/faults.test.ts', 'test/package/build.test.ts', 'test/cluster/abort.test.ts',
];

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : files(p);
    return /\.test\.(ts|mjs|js)$/.test(name) ? [p] : [];
  });
}

const suites = readdirSync(join(root, 'test')).filter((d) => statSync(join(root, 'test', d)).isDirectory() && d !== 'fixtures' && d !== 'types');
const runs = [];
for (const suite of suites.filter((s) => !only || only.includes(s))) {
  const list = files(join(root, 'test', suite)).sort();
  if (!list.length) continue;
  if (backendOpt !== 'redis') {
    if (PER_RUNTIME.includes(suite)) for (const rt of runtimes) runs.push({ label: `${suite} (${rt})`, list, env: { FORKPOOL_TEST_RUNTIME: rt } });
    else runs.push({ label: suite, list, env: {} });
  }
  // The nodes run the process runtime; a hung file fails after 5 min instead of stalling CI.
  if (suite === 'pool' && conformance) runs.push({ label: 'pool (redis)', list, env: { FORKPOOL_TEST_RUNTIME: 'process', FORKPOOL_TEST_BACKEND: 'redis' }, flags: ['--test-timeout=300000'] });
}
if (backendOpt !== 'local' && !conformance && (!only || only.includes('pool'))) {
  console.log(`\n=== pool (redis): skipped: ${redisInstalled ? 'needs the process runtime' : 'redis-server is not installed (apt-get install redis-server, or brew install redis)'}`);
}

/**
 * The failing tests' TAP blocks (name, error, stack), without the suites that
 * failed only because a test in them did. Printed again at the very end: a CI
 * log is often read from its tail, where the spec reporter's own list of
 * failures (printed after each run) is long gone.
 */
function failures(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m) continue;
    const end = `${m[1]}  ...`;
    const block = [lines[i]];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== end; j++) block.push(lines[j]);
    if (!block.some((l) => /failureType: 'subtestsFailed'/.test(l))) out.push(block.slice(0, 60).join('\n'));
  }
  return out;
}

const totals = { pass: 0, fail: 0, skipped: 0 };
const failed = [];
const tmp = mkdtempSync(join(tmpdir(), 'forkpool-test-'));
let failedJobs = 0;
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** One file of one run; a run's files are independent (node --test gives each its own process). */
const queue = runs.flatMap((run) => run.list.map((file) => ({ run, file, name: relative(root, file) })));
const rank = (job) => { const i = SLOW_FIRST.indexOf(job.name); return i < 0 ? SLOW_FIRST.length : i; };
queue.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep the suites' order
if (!only || only.includes('types')) {
  queue.push({ run: { label: 'types', env: {} }, name: 'tsc --noEmit -p test/types', types: true });
}
for (const run of runs) console.log(`=== ${run.label}: ${run.list.length} files`);

/** Per run: passed, failed, skipped, and the files' wall times added up. */
const perRun = new Map(runs.map((run) => [run.label, { pass: 0, fail: 0, skipped: 0, ms: 0 }]));
const fileTimes = [];
const running = new Set();

function runJob(job, n) {
  const tap = join(tmp, `job-${n}.tap`);
  const args = job.types
    ? [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(root, 'test/types')]
    : ['--import', 'tsx', '--test', ...(job.run.flags ?? []),
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`,
      job.file];
  // Each file gets its own temp dir (TMPDIR, which os.tmpdir() reads), removed
  // when it ends: the tests' mkdtemp dirs (journals, output files, crash
  // records) used to stay in /tmp, about 2,500 per run of the suite.
  const jobTmp = mkdtempSync(join(tmp, `t${n}-`));
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...job.run.env, TMPDIR: jobTmp } });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  const entry = { job, started };
  running.add(entry);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    running.delete(entry);
    rmSync(jobTmp, { recursive: true, force: true, maxRetries: 3 });
    const ms = Date.now() - started;
    // Printed whole, so that two files running at once never interleave their lines.
    process.stdout.write(`\n=== ${job.run.label}: ${job.name} (${secs(ms)})\n${Buffer.concat(out).toString()}`);
    if (job.types) {
      if (code === 0) totals.pass++;
      else { totals.fail++; failedJobs++; failed.push(`--- types\n${Buffer.concat(out).toString()}`); }
      return resolve();
    }
    const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
    const count = (k) => Number(new RegExp(`^# ${k} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const r = perRun.get(job.run.label);
    r.pass += count('pass');
    // A test cancelled by --test-timeout (a hung file) failed too.
    r.fail += count('fail') + count('cancelled');
    r.skipped += count('skipped');
    r.ms += ms;
    fileTimes.push({ label: job.run.label, name: job.name, ms });
    if (code !== 0) {
      failedJobs++;
      // A file that died before its tests reported (a syntax error, a crash at import) has no failing test to show.
      if (!failures(text).length) failed.push(`--- ${job.run.label} ${job.name}: exited with ${signal ?? code}`);
    }
    for (const block of failures(text)) failed.push(`--- ${job.run.label} ${job.name}\n${block}`);
    resolve();
  }));
}

// A file that hangs prints nothing until it ends: say which ones are taking long, for a CI log.
const watch = setInterval(() => {
  const now = Date.now();
  for (const { job, started } of running) if (now - started > 300_000) console.log(`\n... still running after ${secs(now - started)}: ${job.run.label} ${job.name}`);
}, 300_000);
const wallStart = Date.now();
let next = 0;
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  while (next < queue.length) {
    const n = next++;
    await runJob(queue[n], n);
  }
}));
clearInterval(watch);

for (const r of perRun.values()) { totals.pass += r.pass; totals.fail += r.fail; totals.skipped += r.skipped; }
console.log(`\n=== per run (files' wall times added up; ${jobs} at a time)\n${[...perRun].map(([label, r]) => `${secs(r.ms).padStart(9)}  ${label}: ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped`).join('\n')}`);
const slowest = fileTimes.sort((a, b) => b.ms - a.ms).slice(0, 15);
console.log(`\n=== slowest files\n${slowest.map((f) => `${secs(f.ms).padStart(9)}  ${f.name} [${f.label}]`).join('\n')}`);
console.log(`\n=== wall time: ${secs(Date.now() - wallStart)}`);
if (failed.length) console.log(`\n=== failures, again\n${failed.join('\n')}`);
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
// The files' TAP output was read above; it is in this folder, with any temp dir a file's end left behind.
rmSync(tmp, { recursive: true, force: true });
process.exit(failedJobs > 0 || totals.fail > 0 ? 1 : 0);
