import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SYNC_GROUP } from '../../dist/journal/journal-file.js';
import { READ_AHEAD_CHUNKS_PER_WORKER } from '../../dist/cli/run.js';
import { runCli, startCli, TASKS, tmp, jsonLines, comparable } from './helpers.js';

const ITEMS = 20_000;
const PROCESSES = 2;
const CHUNK = 1;

/** Items executed for the runner with this pid (all runners when omitted). */
function numbers(path: string, runnerPid?: number): number[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' ').map(Number) as [number, number])
    .filter(([, ppid]) => runnerPid === undefined || ppid === runnerPid)
    .map(([n]) => n);
}

test(`a ${ITEMS.toLocaleString('en-US')}-item run SIGKILLed at a random point resumes to the same output, recording nothing twice`, async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${Array.from({ length: ITEMS }, (_, i) => i).join('\n')}\n`);
  const common = ['run', `${TASKS}#countedSquare`, '--input', input, '-j', String(PROCESSES), '--chunksize', String(CHUNK), '-q'];

  // The reference: an uninterrupted run.
  const full = join(dir, 'full.jsonl');
  const ref = await runCli([...common, '-o', full, '-k']);
  assert.equal(ref.code, 0, ref.stderr);

  // Run 1, killed with SIGKILL once a random number of results has come out on stdout.
  const journal = join(dir, 'run.journal');
  const runs1 = join(dir, 'runs1.txt');
  const runs2 = join(dir, 'runs2.txt');
  writeFileSync(runs1, '');
  writeFileSync(runs2, '');
  const killAt = 2_000 + Math.floor(Math.random() * (ITEMS - 6_000));
  const victim = startCli([...common, '-o', '-', '--journal', journal], { env: { FORKPOOL_TEST_RUNS: runs1 } });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => victim.on('exit', (_c, s) => resolve(s)));
  let seen = 0;
  for await (const _ of createInterface({ input: victim.stdout! })) {
    if (++seen === killAt) { victim.kill('SIGKILL'); break; }
  }
  assert.equal(await exited, 'SIGKILL');

  // Run 2: resume into a file, in input order.
  const resumed = join(dir, 'resumed.jsonl');
  const r2 = await runCli([...common, '-o', resumed, '-k', '--journal', journal, '--resume', '--json-summary'], { env: { FORKPOOL_TEST_RUNS: runs2 } });
  assert.equal(r2.code, 0, r2.stderr);
  const summary = JSON.parse(r2.stdout.trim().split('\n').pop()!);

  // 1. The output equals the uninterrupted run's, item by item.
  assert.deepEqual(comparable(jsonLines(resumed)), comparable(jsonLines(full)));
  // 2. No item is recorded twice.
  const records = jsonLines(journal).slice(1);
  const keys = records.map((x) => x.k);
  assert.equal(new Set(keys).size, keys.length, 'a key recorded twice');
  assert.equal(keys.length, ITEMS);
  // 3. Completed items are re-run only within the documented window (docs/journal.md):
  //    the unsynced group plus the pool's read-ahead (finished in a worker, not yet journaled).
  // Executions by workers orphaned after the kill (their parent pid changed) delivered
  // nothing to the runner; they are not completed items.
  const done1 = new Set(numbers(runs1, victim.pid));
  const orphaned = numbers(runs1).length - done1.size;
  const rerun = numbers(runs2).filter((n) => done1.has(n));
  const window = SYNC_GROUP + READ_AHEAD_CHUNKS_PER_WORKER * PROCESSES * CHUNK;
  assert.ok(rerun.length <= window, `${rerun.length} completed items were re-run (window ${window})`);
  assert.ok(summary.fromJournal >= seen - SYNC_GROUP, `journal had ${summary.fromJournal} after ${seen} results were printed`);
  // Every item ran at least once overall, and the resumed run skipped what the journal had.
  assert.equal(new Set([...numbers(runs1), ...numbers(runs2)]).size, ITEMS);
  assert.equal(summary.ran + summary.fromJournal, ITEMS);
  process.stdout.write(`# killed after ${seen} results; journal kept ${summary.fromJournal}; re-ran ${rerun.length} completed items (window ${window}); ${orphaned} ran in orphaned workers after the kill\n`);
});

test('a journal whose last line was torn by a crash resumes through the CLI', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const args = ['run', `${TASKS}#square`, ...Array.from({ length: 30 }, (_, i) => String(i)), '-o', out, '-k', '-q'];
  assert.equal((await runCli(args)).code, 0);
  const lines = readFileSync(`${out}.journal`, 'utf8').trimEnd().split('\n');
  const torn = lines.pop()!;
  writeFileSync(`${out}.journal`, `${lines.join('\n')}\n`);
  appendFileSync(`${out}.journal`, torn.slice(0, Math.floor(torn.length / 2)));
  const r = await runCli([...args, '--resume', '--json-summary']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim());
  assert.equal(summary.fromJournal, 29);
  assert.equal(summary.ran, 1);
  assert.deepEqual(jsonLines(out).map((x) => x.value), Array.from({ length: 30 }, (_, i) => i * i));
  assert.equal(jsonLines(`${out}.journal`).length, 31, 'every journal line parses after the resume');
});

test('a changed input file is refused with a clear message; --force starts over', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  const out = join(dir, 'out.jsonl');
  writeFileSync(input, '1\n2\n3\n');
  assert.equal((await runCli(['run', `${TASKS}#square`, '--input', input, '-o', out, '-q'])).code, 0);
  writeFileSync(input, '1\n2\n4\n');
  const r = await runCli(['run', `${TASKS}#square`, '--input', input, '-o', out, '--resume']);
  assert.equal(r.code, 255);
  assert.match(r.stderr, /belongs to a different run: the input changed since it was written \(then file in.txt, format lines, bytes 6, sha1 \w+, now .*\)\. .*CLI: --force/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(jsonLines(out).map((x) => x.value).sort(), [1, 4, 9], 'the old output is left alone');
  const forced = await runCli(['run', `${TASKS}#square`, '--input', input, '-o', out, '--force', '-k', '-q']);
  assert.equal(forced.code, 0);
  assert.deepEqual(jsonLines(out).map((x) => x.value), [1, 4, 16]);
});

test('--resume skips items the journal holds as failed, like GNU parallel; --resume-failed runs them again', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const runs = join(dir, 'runs.txt');
  const items = Array.from({ length: 15 }, (_, i) => String(i + 1));
  const args = ['run', `${TASKS}#countedFailOnSevens`, ...items, '-o', out, '-q'];
  writeFileSync(runs, '');
  assert.equal((await runCli(args, { env: { FORKPOOL_TEST_RUNS: runs } })).code, 2);
  writeFileSync(runs, '');
  const resumed = await runCli([...args, '--resume'], { env: { FORKPOOL_TEST_RUNS: runs } });
  assert.equal(resumed.code, 2, 'the recorded failures still count');
  assert.equal(readFileSync(runs, 'utf8'), '', 'nothing ran again');
  const again = await runCli([...args, '--resume-failed'], { env: { FORKPOOL_TEST_RUNS: runs } });
  assert.equal(again.code, 2);
  assert.deepEqual(numbers(runs).sort((a, b) => a - b), [7, 14], 'only the failed items ran again');
});

test('an input file that only grew (appended lines) resumes and runs just the new lines; an edited one is still refused', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  const out = join(dir, 'out.jsonl');
  const runs = join(dir, 'runs.txt');
  const env = { FORKPOOL_TEST_RUNS: runs };
  writeFileSync(input, '1\n2\n3\n');
  writeFileSync(runs, '');
  assert.equal((await runCli(['run', `${TASKS}#countedSquare`, '--input', input, '-o', out, '-q'], { env })).code, 0);
  appendFileSync(input, '4\n5\n');
  writeFileSync(runs, '');
  const grown = await runCli(['run', `${TASKS}#countedSquare`, '--input', input, '-o', out, '--resume', '-q'], { env });
  assert.equal(grown.code, 0, grown.stderr);
  assert.deepEqual(numbers(runs).sort((a, b) => a - b), [4, 5], 'only the appended lines ran');
  assert.deepEqual(jsonLines(out).map((x) => x.value).sort((a, b) => (a as number) - (b as number)), [1, 4, 9, 16, 25]);
  // Growing again works against the same recorded prefix.
  appendFileSync(input, '6\n');
  writeFileSync(runs, '');
  assert.equal((await runCli(['run', `${TASKS}#countedSquare`, '--input', input, '-o', out, '--resume', '-q'], { env })).code, 0);
  assert.deepEqual(numbers(runs), [6]);
  // A recorded line that changed (not an append) is refused.
  writeFileSync(input, '1\n2\n33\n4\n5\n6\n7\n');
  const edited = await runCli(['run', `${TASKS}#countedSquare`, '--input', input, '-o', out, '--resume', '-q'], { env });
  assert.equal(edited.code, 255);
  assert.match(edited.stderr, /input changed/);
});
