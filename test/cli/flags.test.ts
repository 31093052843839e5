import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp } from './helpers.js';

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
