// Scale run of `forkpool run`: a 1,000,000-line input through a trivial
// function, with the runner's peak memory, against `xargs -P 2` and GNU
// parallel running the same function through `node -e` once per item.
//
//   npm run build && node bench/cli-scale.mjs [--items 1000000] [--baseline 2000] [-j 2]
//
// A process per item costs tens of milliseconds, so the baselines run on
// `--baseline` items and their time is extrapolated linearly to `--items`
// (said so in the output). Results also go to bench/results/cli-scale.json.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, createWriteStream, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { items: { type: 'string', default: '1000000' }, baseline: { type: 'string', default: '2000' }, j: { type: 'string', default: '2' } } });
const ITEMS = Number(values.items);
const BASELINE = Number(values.baseline);
const J = values.j;
const dir = mkdtempSync(join(tmpdir(), 'forkpool-scale-'));

// The trivial function, once as a task module and once as a `node -e` body.
const FN_BODY = 'const n = Number(x); return n * n;';
writeFileSync(join(dir, 'trivial.mjs'), `export function square(x) { ${FN_BODY} }\n`);
const NODE_E = `const x = process.argv[1]; const f = (x) => { ${FN_BODY} }; console.log(JSON.stringify({ input: x, value: f(x) }));`;

async function writeInput(path, n) {
  const out = createWriteStream(path);
  const BATCH = 10_000;
  for (let i = 0; i < n; i += BATCH) {
    let s = '';
    for (let k = i; k < Math.min(n, i + BATCH); k++) s += `${k}\n`;
    if (!out.write(s)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** RSS in bytes of a pid and of its child processes, from /proc. */
function rssOf(pid) {
  const read = (p) => {
    try { return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024; } catch { return 0; }
  };
  let children = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      children.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch { children = []; }
  const own = read(pid);
  return { own, total: own + children.reduce((a, c) => a + read(c), 0) };
}

async function timed(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let peakOwn = 0, peakTotal = 0;
  const poll = setInterval(() => {
    const r = rssOf(child.pid);
    peakOwn = Math.max(peakOwn, r.own);
    peakTotal = Math.max(peakTotal, r.total);
  }, 100);
  const [code] = await once(child, 'exit');
  clearInterval(poll);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}… exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds, peakOwn, peakTotal, stderr };
}

const mb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const rate = (n, s) => Math.round(n / s).toLocaleString('en-US');

const big = join(dir, 'big.txt');
await writeInput(big, ITEMS);
console.log(`input: ${ITEMS.toLocaleString('en-US')} lines in ${big}`);

const fp = await timed(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run', join(dir, 'trivial.mjs#square'),
  '--input', big, '-o', join(dir, 'out.jsonl'), '-j', J, '--json-summary', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
console.log(`forkpool run -j ${J}: ${fp.seconds.toFixed(1)} s, ${rate(ITEMS, fp.seconds)} items/s; peak RSS runner ${mb(fp.peakOwn)}, runner + workers ${mb(fp.peakTotal)}`);

const small = join(dir, 'small.txt');
await writeInput(small, BASELINE);
const results = { items: ITEMS, processes: Number(J), forkpool: { seconds: fp.seconds, itemsPerSecond: ITEMS / fp.seconds, peakRssRunner: fp.peakOwn, peakRssTotal: fp.peakTotal } };

// No shell in between: each baseline gets the input on stdin and the code as one argv entry.
const io = (name) => ({ stdio: [openSync(small, 'r'), openSync(join(dir, name), 'w'), 'pipe'] });
const xargs = await timed('xargs', ['-P', J, '-n', '1', process.execPath, '-e', NODE_E], io('xargs.out'));
const xargsRate = BASELINE / xargs.seconds;
console.log(`xargs -P ${J} + node -e: ${xargs.seconds.toFixed(1)} s for ${BASELINE.toLocaleString('en-US')} items, ${xargsRate.toFixed(0)} items/s; ${ITEMS.toLocaleString('en-US')} items extrapolated: ${(ITEMS / xargsRate / 60).toFixed(0)} min`);
results.xargs = { measuredItems: BASELINE, seconds: xargs.seconds, itemsPerSecond: xargsRate, extrapolatedSeconds: ITEMS / xargsRate };

if (spawnSync('sh', ['-c', 'command -v parallel']).status === 0) {
  const par = await timed('parallel', ['--will-cite', '-q', '-j', J, process.execPath, '-e', NODE_E], io('parallel.out'));
  const parRate = BASELINE / par.seconds;
  console.log(`GNU parallel -j ${J} + node -e: ${par.seconds.toFixed(1)} s for ${BASELINE.toLocaleString('en-US')} items, ${parRate.toFixed(0)} items/s; ${ITEMS.toLocaleString('en-US')} items extrapolated: ${(ITEMS / parRate / 60).toFixed(0)} min`);
  results.parallel = { measuredItems: BASELINE, seconds: par.seconds, itemsPerSecond: parRate, extrapolatedSeconds: ITEMS / parRate };
} else {
  console.log('GNU parallel not installed (Debian: apt-get install -y parallel): skipped');
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/cli-scale.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`(baselines measured on ${BASELINE.toLocaleString('en-US')} items and extrapolated linearly; results in bench/results/cli-scale.json)`);
