// `npm start`: the seed's crawl-and-parse scenario through `forkpool run`.
//
// 1. Serves a generated site of 5,000 pages on 127.0.0.1 (some slow, a few that
//    crash the parser, some that never answer).
// 2. Runs examples/crawl.ts#fetchAndParse over every page with a process pool:
//    progress bar, results, journal, HTML report, summary.
// 3. Run it again (or press Ctrl-C halfway and run it again): it resumes from
//    the journal. Delete out/crawl/ to start from scratch.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CRASH, HANG, PAGES, SLOW_EVERY, serveSite } from './demo-site.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'out', 'crawl');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Deterministic pseudo-random numbers, so the site is the same on every run. */
const site = await serveSite();
const base = site.base;

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

site.close();
console.log(`\nResults: ${output}\nJournal: ${output}.journal\nReport:  ${join(OUT, 'report.html')}`);
if (code === 130) console.log('Interrupted: run `npm start` again to resume.');
// Failed pages are part of the demo (crashes, hangs); only a usage error or an interrupt is passed on.
process.exit(code === 255 || code === 130 ? code : 0);
