// `npm start`: the seed's crawl-and-parse scenario through `forkpool run`.
//
// 1. Serves a generated site of 5,000 pages on 127.0.0.1 (some slow, a few that
//    crash the parser, some that never answer).
// 2. Runs examples/crawl.ts#fetchAndParse over every page with a process pool:
//    progress bar, results, journal, HTML report, summary.
// 3. Run it again (or press Ctrl-C halfway and run it again): it resumes from
//    the journal. Delete out/crawl/ to start from scratch.
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'out', 'crawl');
const PAGES = 5_000;
const SLOW_EVERY = 40; // 125 pages answer after 300-700 ms
const CRASH = new Set([137, 1200, 2500, 3333, 4711]); // these crash the parser (SIGSEGV)
const HANG = new Set([99, 777, 1500, 2222, 3000, 3900, 4444, 4999]); // these never answer
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Deterministic pseudo-random numbers, so the site is the same on every run. */
function rand(seed) {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => ((x ^= x << 13, x ^= x >>> 17, x ^= x << 5) >>> 0) / 2 ** 32;
}

function page(n) {
  const r = rand(n + 1);
  const links = Array.from({ length: 3 + Math.floor(r() * 12) }, () => `<li><a href="/page/${Math.floor(r() * PAGES)}">page</a></li>`);
  return `<!doctype html><html><head><title>Page ${n} &amp; friends</title></head><body>
<h1>Page ${n}</h1>${CRASH.has(n) ? '<x-crash>' : ''}<p>${'lorem ipsum '.repeat(20 + Math.floor(r() * 200))}</p>
<ul>${links.join('')}</ul></body></html>`;
}

const sockets = new Set();
const server = createServer((req, res) => {
  const m = /^\/page\/(\d+)$/.exec(req.url ?? '');
  const n = m ? Number(m[1]) : -1;
  if (n < 0 || n >= PAGES) { res.writeHead(404).end('not found'); return; }
  if (HANG.has(n)) return; // never answers: the runner's --timeout deals with it
  const send = () => res.writeHead(200, { 'content-type': 'text/html' }).end(page(n));
  if (n % SLOW_EVERY === 0) setTimeout(send, 300 + Math.floor(rand(n)() * 400));
  else send();
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

mkdirSync(OUT, { recursive: true });
const input = join(OUT, 'pages.txt');
writeFileSync(input, Array.from({ length: PAGES }, (_, n) => `/page/${n}`).join('\n') + '\n');
const output = join(OUT, 'results.jsonl');
const resuming = existsSync(`${output}.journal`);
console.log(`forkpool demo: ${PAGES.toLocaleString('en-US')} pages served at ${base}`);
console.log(`  ${SLOW_EVERY > 0 ? Math.ceil(PAGES / SLOW_EVERY) : 0} slow, ${CRASH.size} crash the parser, ${HANG.size} never answer (2 s timeout)`);
console.log(resuming ? '  a journal exists: resuming (delete out/crawl/ to start over)\n' : '  press Ctrl-C to stop; run npm start again to resume\n');

const args = [
  CLI, 'run', 'examples/crawl.ts#fetchAndParse',
  '--input', input, '--output', output, '--report', join(OUT, 'report.html'),
  '-j', '8', // I/O-bound work: more processes than cores
  '--timeout', '2s', '--resume',
];
// The runner gets its own process group so that Ctrl-C in the terminal reaches only this
// script, which passes it on: the runner then stops gracefully instead of every worker
// being interrupted at once by the terminal.
const runner = spawn(process.execPath, args, {
  cwd: ROOT, stdio: 'inherit', detached: true, env: { ...process.env, CRAWL_BASE_URL: base },
});
process.on('SIGINT', () => runner.kill('SIGINT'));
process.on('SIGTERM', () => runner.kill('SIGINT'));
const code = await new Promise((resolve) => runner.on('exit', (c, s) => resolve(c ?? (s ? 128 : 1))));

for (const s of sockets) s.destroy();
server.close();
console.log(`\nResults: ${output}\nJournal: ${output}.journal\nReport:  ${join(OUT, 'report.html')}`);
if (code === 130) console.log('Interrupted: run `npm start` again to resume.');
// Failed pages are part of the demo (crashes, hangs); only a usage error or an interrupt is passed on.
process.exit(code === 255 || code === 130 ? code : 0);
