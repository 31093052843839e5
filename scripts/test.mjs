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
 * All of test/pool, not a selection: skipped checks cost nothing and the
 * rest take about a minute.
 *
 *   node scripts/test.mjs [--runtime process|thread] [--only pool,shared,...] [--backend local|redis]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const only = opt('--only')?.split(',');
const runtimes = opt('--runtime') ? [opt('--runtime')] : ['process', 'thread'];
/** `local`: no conformance run; `redis`: only it; default both. */
const backendOpt = opt('--backend');
if (backendOpt !== undefined && backendOpt !== 'local' && backendOpt !== 'redis') throw new Error(`--backend expects local or redis, got ${backendOpt}`);
const redisInstalled = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
/** The conformance run needs redis-server; CI (FORKPOOL_REQUIRE_REDIS=1) runs it regardless, so a missing one fails there. */
const conformance = backendOpt !== 'local' && runtimes.includes('process') && (redisInstalled || process.env.FORKPOOL_REQUIRE_REDIS === '1');
/** Suites whose behaviour depends on the runtime. */
const PER_RUNTIME = ['pool', 'chaos', 'shared'];

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
let failedRuns = 0;
for (const [i, run] of runs.entries()) {
  const tap = join(tmp, `run-${i}.tap`);
  console.log(`\n=== ${run.label}: ${run.list.map((f) => relative(root, f)).join(' ')}`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', '--test-concurrency=2', ...(run.flags ?? []),
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...run.list,
  ], { cwd: root, stdio: 'inherit', env: { ...process.env, ...run.env } });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  totals.pass += count('pass');
  // A test cancelled by --test-timeout (a hung file) failed too.
  totals.fail += count('fail') + count('cancelled');
  totals.skipped += count('skipped');
  if (r.status !== 0) failedRuns++;
  for (const block of failures(text)) failed.push(`--- ${run.label}\n${block}`);
}

if (!only || only.includes('types')) {
  console.log('\n=== types: tsc --noEmit -p test/types');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(root, 'test/types')], { stdio: 'inherit' });
  if (r.status === 0) totals.pass++;
  else { totals.fail++; failedRuns++; }
}

if (failed.length) console.log(`\n=== failures, again\n${failed.join('\n')}`);
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failedRuns > 0 || totals.fail > 0 ? 1 : 0);
