// `npm run demo:distributed`: the crawl demo of `npm start`, run on two
// `forkpool worker` nodes through Redis, with one node SIGKILLed halfway.
//
// 1. Starts its own redis-server (a free loopback port, a temp dir,
//    appendonly yes), serves the same generated 5,000-page site as `npm start`
//    on 127.0.0.1, and starts 2 nodes: `forkpool worker examples/crawl.ts`.
// 2. Runs `forkpool run examples/crawl.ts#fetchAndParse --redis ... --queue ...`
//    over every page, with a journal and a results file.
// 3. When half the pages are recorded, SIGKILLs one node (no drain, no
//    goodbye): its jobs go back to the queue and the other node runs them.
// 4. Checks that every page is recorded exactly once, in the results and in
//    the journal, and prints what happened. Exit 0 when so, 1 otherwise.
//
// Everything it starts (Redis, nodes, runner, site) is stopped by pid at the
// end, also on Ctrl-C; the temp dir is removed. Output stays in out/crawl-distributed/.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRASH, HANG, PAGES, SLOW_EVERY, serveSite } from './demo-site.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'out', 'crawl-distributed');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const MODULE = 'examples/crawl.ts';
const QUEUE = 'crawl-demo';
const SLOTS_PER_NODE = 4;

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('demo:distributed needs redis-server, which is not installed.\n'
    + '  Debian/Ubuntu: sudo apt-get install redis-server   (then: sudo systemctl disable --now redis-server, if you do not want the system service)\n'
    + '  macOS:         brew install redis\n'
    + 'The demo starts its own server on a free loopback port; nothing else is needed.');
  process.exit(1);
}
if (!existsSync(CLI)) {
  console.error('dist/ is missing: run `npm run build` first (npm run demo:distributed does).');
  process.exit(1);
}

// ── what this script starts, so that it can stop exactly those ─────────────────
const started = []; // { name, child }
let tmp;
let site;
let stopping = false;

async function cleanUp() {
  if (stopping) return;
  stopping = true;
  // Runner and nodes first (SIGTERM: a node drains for up to 10 s), Redis last.
  for (const name of ['runner', 'node 1', 'node 2', 'redis-server']) {
    for (const { child } of started.filter((s) => s.name === name)) await stop(child, 'SIGTERM');
  }
  site?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

/** Signals one child by pid, waits for its exit, SIGKILLs it after 15 s. */
async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { console.log(`\n${sig}: stopping what the demo started`); void cleanUp().then(() => process.exit(130)); });
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`demo:distributed failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

async function main() {
  // ── Redis ──────────────────────────────────────────────────────────────────
  tmp = mkdtempSync(join(tmpdir(), 'forkpool-demo-redis-'));
  const port = await freePort();
  const redis = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '',
    '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  started.push({ name: 'redis-server', child: redis });
  await waitForPort(port);
  const url = `redis://127.0.0.1:${port}`;

  // ── the site ───────────────────────────────────────────────────────────────
  site = await serveSite();
  const base = site.base;
  mkdirSync(OUT, { recursive: true });
  const input = join(OUT, 'pages.txt');
  const output = join(OUT, 'results.jsonl');
  const journal = `${output}.journal`;
  writeFileSync(input, Array.from({ length: PAGES }, (_, n) => `/page/${n}`).join('\n') + '\n');
  // A fresh run each time: the halfway point is read from the results file.
  for (const f of [output, journal]) rmSync(f, { force: true });

  console.log('forkpool distributed demo');
  console.log(`  Redis ${url} (appendonly yes, dir ${tmp}), pid ${redis.pid}`);
  console.log(`  ${PAGES.toLocaleString('en-US')} pages at ${base}: ${Math.ceil(PAGES / SLOW_EVERY)} slow, ${CRASH.size} crash the parser, ${HANG.size} never answer (2 s timeout)`);

  // ── 2 nodes ────────────────────────────────────────────────────────────────
  // The module reads the site's address from its environment, in the nodes' local workers.
  const env = { ...process.env, CRAWL_BASE_URL: base };
  const nodes = await Promise.all([1, 2].map((i) => startNode(`node ${i}`, url, env)));
  for (const n of nodes) console.log(`  ${n.name}: forkpool worker ${MODULE} --queue ${QUEUE} -j ${SLOTS_PER_NODE}, pid ${n.child.pid}`);

  // ── the run ────────────────────────────────────────────────────────────────
  const args = [
    CLI, 'run', `${MODULE}#fetchAndParse`, '--input', input, '--output', output,
    '--timeout', '2s', '--force', '--redis', url, '--queue', QUEUE,
  ];
  console.log(`\n$ forkpool run ${args.slice(2).map((a) => (a.startsWith(ROOT) ? a.slice(ROOT.length) : a)).join(' ')}\n`);
  const t0 = Date.now();
  const runner = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env });
  started.push({ name: 'runner', child: runner });
  const runnerExit = new Promise((resolve) => runner.once('exit', (code, signal) => resolve(code ?? signal)));

  // ── kill one node halfway ──────────────────────────────────────────────────
  let killedAt;
  const victim = nodes[0];
  for (;;) {
    const done = await Promise.race([runnerExit.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    if (done || stopping) break;
    const recorded = countLines(output);
    if (recorded >= PAGES / 2) {
      victim.child.kill('SIGKILL');
      killedAt = recorded;
      console.log(`\n>>> ${recorded} of ${PAGES} pages recorded after ${((Date.now() - t0) / 1000).toFixed(1)} s: SIGKILL ${victim.name} (pid ${victim.child.pid})\n`);
      break;
    }
  }
  const code = await runnerExit;
  if (stopping) {
    console.log('\nInterrupted: nothing checked. Run npm run demo:distributed again to start over.');
    return 130;
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log(`\nforkpool run exited with ${code} after ${seconds.toFixed(1)} s (1-100: that many pages failed)`);

  // ── check ──────────────────────────────────────────────────────────────────
  const results = readJsonLines(output);
  const byInput = new Map();
  for (const r of results) byInput.set(r.input, (byInput.get(r.input) ?? 0) + 1);
  const twice = [...byInput].filter(([, n]) => n > 1).map(([k]) => k);
  const missing = Array.from({ length: PAGES }, (_, n) => `/page/${n}`).filter((p) => !byInput.has(p));
  const journaled = readJsonLines(journal).filter((r) => r && typeof r === 'object' && 'k' in r);
  const journalKeys = new Map();
  for (const r of journaled) journalKeys.set(r.k, (journalKeys.get(r.k) ?? 0) + 1);
  const journalTwice = [...journalKeys].filter(([, n]) => n > 1).length;
  const failed = results.filter((r) => !r.ok);
  const why = new Map();
  for (const r of failed) {
    const name = r.error?.name ?? 'Error';
    why.set(name, (why.get(name) ?? 0) + 1);
  }
  const survivor = nodes[1];
  console.log(`\nnode killed: ${killedAt === undefined ? 'no (the run ended first)' : `${victim.name} when ${killedAt} pages were recorded`}; ${survivor.name} ${survivor.child.exitCode === null ? 'served on' : `exited ${survivor.child.exitCode}`}`);
  console.log(`results: ${results.length} lines, ${byInput.size} distinct pages of ${PAGES}; recorded twice: ${twice.length}; missing: ${missing.length}`);
  console.log(`journal: ${journalKeys.size} distinct keys, recorded twice: ${journalTwice}`);
  console.log(`ok: ${results.length - failed.length}, failed: ${failed.length} (${[...why].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}; the site has ${CRASH.size} crashing and ${HANG.size} hanging pages)`);
  const ok = killedAt !== undefined && twice.length === 0 && missing.length === 0 && results.length === PAGES
    && journalKeys.size === PAGES && journalTwice === 0 && typeof code === 'number' && code <= 101;
  console.log(ok ? '\nEVERY PAGE RECORDED EXACTLY ONCE, with a node SIGKILLed halfway.' : '\nCHECK FAILED: see the counts above.');
  console.log(`Results: ${output}\nJournal: ${journal}`);
  return ok ? 0 : 1;
}

async function startNode(name, url, env) {
  const child = spawn(process.execPath, [CLI, 'worker', MODULE, '--redis', url, '--queue', QUEUE, '-j', String(SLOTS_PER_NODE)], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env,
  });
  started.push({ name, child });
  let err = '';
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes(' slots on queue ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready: ${err}`)));
  });
  return { name, child };
}

function countLines(file) {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function readJsonLines(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return undefined; } });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForPort(port) {
  const end = Date.now() + 5_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`redis-server did not listen on ${port} within 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
