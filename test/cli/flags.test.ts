import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp } from './helpers.js';
import { WORKER_HELP } from '../../src/cli/worker.ts';
import { tokenize } from '../../src/cli/flags.ts';

async function workers(flags: string[], items = ['1', '2', '3', '4', '5', '6', '7', '8']): Promise<number> {
  const r = await runCli(['run', `${TASKS}#square`, ...items, '--json-summary', '-q', ...flags]);
  assert.equal(r.code, 0, r.stderr);
  // Lanes of the report are worker slots; the summary does not list workers, so count them from the bar-less status.
  return JSON.parse(r.stderr.trim().split('\n').pop()!).workers as number;
}

test('GNU parallel\'s -j forms are accepted: --jobs, -j 0 (all cores), -j -1 (all but one), -j 50%', async () => {
  const cores = availableParallelism();
  assert.equal(await workers(['--jobs', '2']), 2);
  assert.equal(await workers(['-j', '0']), cores);
  assert.equal(await workers(['-j', '-1']), Math.max(1, cores - 1));
  assert.equal(await workers(['-j', '50%']), Math.max(1, Math.floor(cores / 2)));
  assert.equal(await workers(['-j3']), 3);
  // No more workers than items when their number is known.
  assert.equal(await workers(['-j', '6'], ['1', '2']), 2);
});

test('a mistyped flag gets "did you mean", not Node\'s parseArgs boilerplate', async () => {
  const r = await runCli(['run', `${TASKS}#square`, '1', '--proceses', '2']);
  assert.equal(r.code, 255);
  assert.equal(r.stderr, 'forkpool: unknown option --proceses; did you mean --processes?\n');
  const short = await runCli(['run', `${TASKS}#square`, '1', '-Z']);
  assert.match(short.stderr, /^forkpool: unknown option -Z/);
});

test('--dry-run prints each call that would run and runs nothing', async () => {
  const dir = tmp();
  const runs = join(dir, 'runs.txt');
  writeFileSync(runs, '');
  const r = await runCli(['run', `${TASKS}#countedSquare`, '1', '2', '--dry-run'], { env: { FORKPOOL_TEST_RUNS: runs } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [`${TASKS}#countedSquare("1")`, `${TASKS}#countedSquare("2")`]);
  assert.match(r.stderr, /Dry run: 2 calls .* would run/);
});

test('options after ::: are input items, as in GNU parallel, and stderr says so before the run (even with -q); numbers and unknown spellings do not get the note', async () => {
  const r = await runCli(['run', TASKS, '--dry-run', ':::', 'a', '-q', '--jobs=4', '-kq']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['a', '-q', '--jobs=4', '-kq'].map((x) => `${TASKS}#default(${JSON.stringify(x)})`));
  assert.match(r.stderr, /^forkpool: note: "-q", "--jobs=4", "-kq" come after ::: and are input items, as in GNU parallel; options go before the first :::\n/);
  const one = await runCli(['run', TASKS, '-q', ':::', 'a', '--quiet']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stderr, 'forkpool: note: "--quiet" comes after ::: and is an input item, as in GNU parallel; options go before the first :::\n');
  const data = await runCli(['run', TASKS, '-q', ':::', '-5', '-0', '--', '--not-an-option', '-Z', 'x']);
  assert.equal(data.code, 0, data.stderr);
  assert.equal(data.stderr, '', 'no note for data that only starts with a dash');
});

test('forkpool worker refuses a flag given twice, as forkpool run does: every single-value flag, -j and --jobs as one, the --redis password masked', async () => {
  const pairs: Record<string, [string, string]> = {
    redis: ['redis://:one@127.0.0.1:1', 'redis://:two@127.0.0.1:2'],
    queue: ['a', 'b'],
    processes: ['1', '2'],
    runtime: ['process', 'thread'],
    'max-memory': ['1GB', '2GB'],
    'max-tasks-per-child': ['1', '2'],
    concurrency: ['1', '2'],
    'module-version': ['a', 'b'],
    'lock-duration': ['5s', '6s'],
    'stalled-interval': ['2s', '3s'],
    'max-stalled-count': ['1', '2'],
  };
  // Every flag of the help that takes a value, so a flag added later is covered or this fails.
  const listed = [...WORKER_HELP.matchAll(/^\s+(?:-\w, )?--([\w-]+) (?! )/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), Object.keys(pairs).sort());
  // Port 1 answers nothing: a repeat that slipped through would end in "Cannot use Redis" instead.
  const base = (skip: string) => ['worker', TASKS, ...(skip === 'redis' ? [] : ['--redis', 'redis://127.0.0.1:1']), ...(skip === 'queue' ? [] : ['--queue', 'q'])];
  const cases: Array<[string[], RegExp]> = Object.entries(pairs).map(([flag, [a, b]]) => [
    [...base(flag), `--${flag}`, a, `--${flag}=${b}`],
    new RegExp(`^forkpool: --${flag} was given twice \\(${JSON.stringify(flag === 'redis' ? a.replace(':one@', ':***@') : a).replace(/[.*/]/g, '\\$&')} and `),
  ]);
  cases.push([[...base(''), '-j', '1', '--jobs', '2'], /^forkpool: --jobs was given twice \("1" and "2"\)/]);
  cases.push([[...base(''), '-j1', '-j', '2'], /^forkpool: -j was given twice \("1" and "2"\)/]);
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, cases[i]![1]);
    assert.doesNotMatch(r.stderr, /one@|two@/, 'the password is never shown');
  });
  assert.match(results[0]!.stderr, /\("redis:\/\/:\*\*\*@127\.0\.0\.1:1" and "redis:\/\/:\*\*\*@127\.0\.0\.1:2"\)/);
});

test('-0 clusters with other short flags (-0q, -0kq) as -q0 does; -0.5 and -0e3 stay items', async () => {
  for (const flags of [['-0q'], ['-q0'], ['-0kq']]) {
    const r = await runCli(['run', `${TASKS}#square`, ...flags], { stdin: '2\u00003\u0000' });
    assert.equal(r.code, 0, `${flags}: ${r.stderr}`);
    assert.deepEqual(r.stdout.trim().split('\n').map(Number).sort((a, b) => a - b), [4, 9], `${flags}: the NUL-separated stdin items ran`);
    assert.equal(r.stderr, '', `${flags}: quiet`);
  }
  const numbers = tokenize(['-0.5', '-0e3', '-0q']);
  assert.deepEqual(numbers.positionals, ['-0.5', '-0e3']);
  assert.equal(numbers.values.null, true);
  assert.equal(numbers.values.quiet, true);
});
