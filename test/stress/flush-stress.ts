/**
 * Stress: FLUSHALL early in a `forkpool run --redis`, at a different moment
 * each iteration. docs/cli.md promises exit 102 (Redis lost the run's data)
 * whenever the flush took something of the run; a suspected race once gave
 * exit 0 with every item. Each iteration: a private redis-server, two
 * `forkpool worker -j 1` nodes, a run over ITEMS items of TASK_MS each, and
 * `MULTI; DBSIZE; EXISTS <epoch>; KEYS *:run:*; FLUSHALL; EXEC` (so what the
 * flush wiped is recorded atomically with it) DELAY ms after the run starts.
 *
 *   npm run build && node --import tsx test/stress/flush-stress.ts [iterations] [maxDelayMs]
 * env: ITEMS (60), TASK_MS (150), NODES (2), LOCKS=default|test (test: 2s/1s), OUT (a JSON Lines log).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../helpers/redis.ts';
import { startNode, TASKS, TEST_LOCKS } from '../cluster/nodes.ts';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const iterations = Number(process.argv[2] ?? 30);
const maxDelay = Number(process.argv[3] ?? 500);
const ITEMS = Number(process.env.ITEMS ?? 60);
const TASK_MS = String(process.env.TASK_MS ?? 150);
const NODES = Number(process.env.NODES ?? 2);
const locks = process.env.LOCKS === 'default' ? [] : TEST_LOCKS;
const log = process.env.OUT ?? join(tmpdir(), `flush-stress-${process.pid}.jsonl`);
const tally: Record<string, number> = {};

for (let i = 0; i < iterations; i++) {
  // Spread over the window, jittered: every part of it is hit, never twice the same moment.
  const delay = Math.round((i + Math.random()) * maxDelay / iterations);
  const redis = await startRedis();
  const queue = `flush${i}`;
  const dir = mkdtempSync(join(tmpdir(), 'flush-stress-'));
  // One line per execution: how many items ran more than once.
  const runs = join(dir, 'executions.txt');
  const nodes = await Promise.all(Array.from({ length: NODES }, () => startNode(redis.url, queue, [], locks, { FORKPOOL_TEST_TALLY_MS: TASK_MS, FORKPOOL_TEST_TALLY: runs })));
  writeFileSync(join(dir, 'in.txt'), Array.from({ length: ITEMS }, (_, k) => `${k + 1}\n`).join(''));
  const out = join(dir, 'out.jsonl');
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'run', `${TASKS}#tally`, '--input', join(dir, 'in.txt'), '-o', out, '--redis', redis.url, '--queue', queue, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  await new Promise((r) => setTimeout(r, delay));
  const epoch = `forkpool:${queue}.*:epoch`;
  const flush = spawnSync('redis-cli', ['-p', String(redis.port)], {
    input: `MULTI\nDBSIZE\nKEYS ${epoch}\nKEYS *:run:*\nFLUSHALL\nEXEC\n`, encoding: 'utf8',
  });
  const flushedAt = Date.now() - started;
  const code = await exited;
  clearTimeout(killer);
  const ms = Date.now() - started;
  const lines = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
  const ok = lines.filter((l) => JSON.parse(l).ok).length;
  const nodeLogs = nodes.map((n) => n.stderr());
  const executions = existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0;
  const recovered = nodeLogs.join('').match(/recovered \d+ job\(s\) of a lost node/g)?.length ?? 0;
  const lockLines = nodeLogs.flatMap((t) => t.split('\n')).filter((l) => /late completion|lock|Missing/i.test(l));
  await Promise.all(nodes.map((n) => n.stop()));
  await redis.stop();
  const what = flush.stdout.trim().split('\n');
  const record = { i, delay, flushedAt, code, ms, outLines: lines.length, ok, flushSaw: what, lockLines: lockLines.length, executions, recovered, stderr: stderr.slice(-600), stdoutBytes: stdout.length, dir, nodeLogs: lockLines.length ? nodeLogs : undefined };
  appendFileSync(log, `${JSON.stringify(record)}\n`);
  tally[String(code)] = (tally[String(code)] ?? 0) + 1;
  console.log(`#${i} delay ${delay} ms (flushed at ${flushedAt}): exit ${code}, ${lines.length} lines (${ok} ok), ${ms} ms, lock lines ${lockLines.length}, executions ${executions}, 'lost node' recoveries ${recovered}, flush saw ${what.join(' | ')}`);
}
console.log(`exit codes over ${iterations} iterations: ${JSON.stringify(tally)}; log ${log}`);
