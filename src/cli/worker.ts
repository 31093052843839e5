/**
 * `forkpool worker <module> --redis URL --queue NAME [-j N] [...]`: serves the
 * module's exports to distributed pools (`backend` option) until SIGTERM or
 * SIGINT, then drains (src/cluster/node.ts) and exits 0. A Redis that cannot
 * be used, or a module that cannot start, is one line on stderr and exit 255.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterNode } from '../cluster/node.js';
import { RedisConnectionError } from '../cluster/errors.js';
import { EXIT, UsageError } from './errors.js';
import { givenTwice } from './flags.js';
import { checkReadable } from './paths.js';
import { parseDuration, parsePositiveInt, parseProcesses, parseSize } from './units.js';

export const WORKER_HELP = `Usage: forkpool worker <module> --redis URL --queue NAME [options]

Runs the exported functions of <module> for distributed pools
(new Pool(module, { backend: { redis, queue } })) until SIGTERM or Ctrl-C.
Start one on each machine; they share the work. Details: docs/distributed.md

  --redis URL                 redis://[user:pass@]host:port[/db] or rediss://...
  --queue NAME                the pool's backend.queue
  -j, --processes N|N%|+N|-N|0   local worker processes (default: the number of cores)
  --runtime process|thread    default: process
  --max-memory SIZE           recycle a local worker whose memory passes SIZE, e.g. 1GB
  --max-tasks-per-child N     replace a local worker after N tasks
  --concurrency N             tasks each local worker runs at once (default 1), for async I/O tasks
  --module-version V          serve pools of this version (default: 12 hex digits of the
                              module file's SHA-256, which pools compute the same way)
  --lock-duration DURATION    BullMQ lock (default 5s); a dead node's job restarts elsewhere
  --stalled-interval DURATION   BullMQ's own stalled check (default 2s); the recovery sweep runs every 1s
  --max-stalled-count N       a job lost more often fails (default 1); a lost job of several
                              items is first resubmitted one item per job
  -q, --quiet                 no news lines on stderr

SIGTERM: takes no new jobs, lets running ones finish for 10 s, hands the rest back, exits 0.
Exit codes: 0 stopped; 255 bad options, Redis unusable or the module cannot start.`;

export async function workerCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        redis: { type: 'string' },
        queue: { type: 'string' },
        processes: { type: 'string', short: 'j' },
        jobs: { type: 'string' },
        runtime: { type: 'string' },
        'max-memory': { type: 'string' },
        'max-tasks-per-child': { type: 'string' },
        concurrency: { type: 'string' },
        'module-version': { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        'max-stalled-count': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see forkpool worker --help)`);
  }
  refuseRepeats(parsed.tokens);
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${WORKER_HELP}\n`);
    return EXIT.ok;
  }
  if (parsed.positionals.length !== 1) throw new UsageError('forkpool worker takes one module (see forkpool worker --help)');
  if (!v.redis) throw new UsageError('forkpool worker needs --redis URL');
  if (!v.queue) throw new UsageError('forkpool worker needs --queue NAME');
  if (v.queue.includes(':')) throw new UsageError(`--queue cannot contain ':', got ${JSON.stringify(v.queue)}`);
  let url: URL | undefined;
  try { url = new URL(v.redis); } catch { /* below */ }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) throw new UsageError('--redis expects a redis:// or rediss:// URL');
  if (v.runtime !== undefined && v.runtime !== 'process' && v.runtime !== 'thread') throw new UsageError(`--runtime expects process or thread, got ${JSON.stringify(v.runtime)}`);
  const given = parsed.positionals[0]!;
  const modulePath = resolve(given);
  checkReadable('module', given, modulePath);
  const quiet = v.quiet === true;
  const log = (line: string) => { if (!quiet) process.stderr.write(`forkpool worker: ${line}\n`); };

  let node: ClusterNode;
  try {
    node = await ClusterNode.start({
      modulePath,
      redis: v.redis,
      queue: v.queue,
      processes: parseProcesses(v.processes ?? v.jobs ?? '0'),
      moduleVersion: v['module-version'],
      local: {
        runtime: v.runtime as 'process' | 'thread' | undefined,
        maxMemory: v['max-memory'] === undefined ? undefined : parseSize('--max-memory', v['max-memory']),
        maxTasksPerChild: v['max-tasks-per-child'] === undefined ? undefined : parsePositiveInt('--max-tasks-per-child', v['max-tasks-per-child']),
        concurrentTasksPerWorker: v.concurrency === undefined ? undefined : parsePositiveInt('--concurrency', v.concurrency),
      },
      lockDuration: v['lock-duration'] === undefined ? undefined : parseDuration('--lock-duration', v['lock-duration']),
      stalledInterval: v['stalled-interval'] === undefined ? undefined : parseDuration('--stalled-interval', v['stalled-interval']),
      maxStalledCount: v['max-stalled-count'] === undefined ? undefined : parseCount(v['max-stalled-count']),
      log,
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Redis's errors name the URL; any other (the module's workers could not start, it serves nothing) names the module.
    if (err instanceof RedisConnectionError) throw new UsageError(err.message);
    throw new UsageError(`Cannot serve ${modulePath}: ${(err as Error).message}`);
  }

  // Runs until a signal; a second signal does not cut the drain short (the drain is bounded).
  await new Promise<void>((done) => {
    const onSignal = (sig: string) => {
      log(`${sig}: stopping`);
      void node.stop().then(done);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  log('stopped');
  return EXIT.ok;
}

/** A count that may be 0 (`--max-stalled-count 0`: a job lost once fails). */
function parseCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--max-stalled-count expects a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * parseArgs keeps the last of a flag given twice, so `--redis A --redis B`
 * would serve B without a word; `forkpool run` refuses that, and so does this,
 * with the same message (the --redis password masked). `--jobs` is `-j`.
 */
function refuseRepeats(tokens: ReturnType<typeof parseArgs>['tokens']): void {
  const seen = new Map<string, string>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined) continue;
    const name = t.name === 'jobs' ? 'processes' : t.name;
    const before = seen.get(name);
    if (before !== undefined && before !== t.value) throw givenTwice(name, t.rawName, before, t.value);
    seen.set(name, t.value);
  }
}
