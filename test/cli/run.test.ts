import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp, jsonLines } from './helpers.js';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => String(a + i));

test('results are JSON Lines with key, input, ok, value, ms and worker; --keep-order keeps input order', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${range(1, 51).join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', `${TASKS}#square`, '--input', input, '-o', out, '-k', '-j', '2']);
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonLines(out);
  assert.deepEqual(rows.map((x) => x.input), range(1, 51));
  assert.deepEqual(rows.map((x) => x.value), range(1, 51).map((x) => Number(x) ** 2));
  for (const row of rows) {
    assert.deepEqual(Object.keys(row), ['key', 'input', 'ok', 'value', 'ms', 'worker']);
    assert.match(String(row.key), /^\d+:[0-9a-f]{12}$/);
  }
  assert.ok(existsSync(`${out}.journal`), 'the journal defaults to <output>.journal');
});

test('the exit code is the number of failed items, and the summary counts outcomes', async () => {
  const r = await runCli(['run', `${TASKS}#failOnSevens`, ...range(1, 30), '--json-summary', '-j', '2']);
  assert.equal(r.code, 4, r.stderr); // 7, 14, 21, 28
  // Without -o, stdout carries the values, so the JSON summary is the last line of stderr.
  const summary = JSON.parse(r.stderr.trim().split('\n').pop()!);
  assert.equal(summary.total, 29);
  assert.equal(summary.ok, 25);
  assert.deepEqual(summary.byOutcome, { ok: 25, error: 4 });
  assert.equal(summary.exitCode, 4);
  assert.match(r.stderr, /25 succeeded, 4 threw/);
  assert.match(r.stderr, /task time p50 .*, p99 /);
});

test('more than 100 failed items exit with 101', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${range(0, 1000).map((x) => String(Number(x) * 7)).join('\n')}\n`);
  const r = await runCli(['run', `${TASKS}#failOnSevens`, '--input', input, '-q']);
  assert.equal(r.code, 101, r.stderr);
});

test('--halt now,fail=N stops the run after N failures', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${range(1, 2001).join('\n')}\n`);
  const r = await runCli(['run', `${TASKS}#failOnSevens`, '--input', input, '--halt', 'soon,fail=3', '--chunksize', '1', '-j', '1', '--json-summary']);
  const summary = JSON.parse(r.stderr.trim().split('\n').pop()!);
  assert.ok(summary.total < 2000, `halted after ${summary.total} items`);
  assert.match(summary.halted, /fail=3/);
  assert.equal(r.code, summary.failed);
  assert.match(r.stderr, /Halted/);
});

test('timeouts and crashes fail only their own item; restarts are summarised by cause', async () => {
  const items = ['a', 'crash', 'b', 'hang', 'c', 'slow', 'd'];
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', `${TASKS}#misbehave`, ...items, '--timeout', '1s', '-o', out, '-k', '-j', '2', '--json-summary']);
  assert.equal(r.code, 2, r.stderr);
  const rows = jsonLines(out);
  const codeOf = (i: number) => (rows[i]!.error as { code?: string } | undefined)?.code;
  assert.equal(codeOf(1), 'ERR_FORKPOOL_WORKER_CRASHED');
  assert.equal(codeOf(3), 'ERR_FORKPOOL_TASK_TIMEOUT');
  assert.deepEqual(rows.filter((x) => x.ok).map((x) => x.value), ['a', 'b', 'c', 'slow', 'd']);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(summary.byOutcome, { ok: 5, timeout: 1, crash: 1 });
  assert.ok(summary.restarts.crash >= 1 && summary.restarts.timeout >= 1, JSON.stringify(summary.restarts));
  assert.match(r.stderr, /worker restarts: .*crash/);
});

test('a crash in a chunk of a default run fails only its line: the chunk\'s other lines keep their results, and each line runs once', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => (i === 1234 ? 'crash' : String(i)));
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${items.join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const runs = join(dir, 'runs.txt');
  const r = await runCli(['run', `${TASKS}#countedMisbehave`, '--input', input, '-o', out, '-k', '-j', '2', '--json-summary', '-q'], { env: { FORKPOOL_TEST_RUNS: runs } });
  assert.equal(r.code, 1, `one failed item: exit code 1\n${r.stderr}`);
  const rows = jsonLines(out);
  assert.equal((rows[1234]!.error as { code?: string }).code, 'ERR_FORKPOOL_WORKER_CRASHED');
  assert.deepEqual(rows.filter((x) => x.ok).map((x) => x.value), items.filter((x) => x !== 'crash'));
  const ran = readFileSync(runs, 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
  assert.equal(ran.length, items.length, 'executions');
  assert.equal(new Set(ran).size, items.length, 'an item ran twice');
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!).byOutcome, { ok: items.length - 1, crash: 1 });
});

test('with --timeout on a long input (chunks, each item logged), a hang and a crash fail alone and every other item runs once', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => (i === 50 ? 'hang' : i === 400 ? 'crash' : String(i)));
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${items.join('\n')}\n`);
  const out = join(dir, 'out.jsonl');
  const runs = join(dir, 'runs.txt');
  const r = await runCli(['run', `${TASKS}#countedMisbehave`, '--input', input, '--timeout', '1s', '-o', out, '-k', '-j', '2', '--json-summary', '-q'], { env: { FORKPOOL_TEST_RUNS: runs } });
  assert.equal(r.code, 2, r.stderr);
  const rows = jsonLines(out);
  assert.equal(rows.length, items.length);
  assert.equal((rows[50]!.error as { code?: string }).code, 'ERR_FORKPOOL_TASK_TIMEOUT');
  assert.equal((rows[400]!.error as { code?: string }).code, 'ERR_FORKPOOL_WORKER_CRASHED');
  assert.deepEqual(rows.filter((x) => x.ok).map((x) => x.value), items.filter((x) => x !== 'hang' && x !== 'crash'));
  // Items held inside the killed workers went back to the queue: each ran once, the crash too.
  const ran = readFileSync(runs, 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
  assert.equal(ran.length, items.length, 'executions');
  assert.equal(new Set(ran).size, items.length, 'an item ran twice');
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(summary.byOutcome, { ok: items.length - 2, timeout: 1, crash: 1 });
});

test('CSV rows arrive as objects keyed by the header, quoted fields included', async () => {
  const dir = tmp();
  const input = join(dir, 'rows.csv');
  writeFileSync(input, 'n,label\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n');
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', `${TASKS}#echo`.replace('#echo', ''), '--input', input, '-o', out, '-k']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(out).map((x) => x.value), [
    { n: '1', label: 'a, b' }, { n: '2', label: 'say "hi"' }, { n: '3', label: 'two\nlines' },
  ]);
});

test('items can come from stdin, and results go to stdout with --output -', async () => {
  const r = await runCli(['run', `${TASKS}#square`, '--input', '-', '-o', '-', '-k', '-q'], { stdin: '3\n4\n\n5\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l).value), [9, 16, 25]);
});

test('off a terminal, progress is a short status line, and --quiet prints nothing', async () => {
  const loud = await runCli(['run', `${TASKS}#sleepy`, ...Array(12).fill('500'), '-j', '1', '--chunksize', '1']);
  assert.match(loud.stderr, /^forkpool: \d+\/12 .*\/s/m, loud.stderr);
  assert.doesNotMatch(loud.stderr, /\x1b\[/, 'no terminal control codes in a log');
  const quiet = await runCli(['run', `${TASKS}#square`, '1', '2', '-q']);
  assert.equal(quiet.stderr, '');
});

test('a --report that cannot be written (/dev/full) names the file, after the summary, and the exit code says it failed; a regular one leaves no temporary file', async () => {
  const r = await runCli(['run', `${TASKS}#square`, '2', '3', '--report', '/dev/full']);
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, /2 succeeded/, 'the summary is printed');
  assert.match(r.stderr, /exit code 255/);
  assert.doesNotMatch(r.stderr, /report \/dev\/full/, 'the summary does not list a report that was not written');
  assert.match(r.stderr, /forkpool: cannot write \/dev\/full: no space left/);
  const dir = tmp();
  const ok = await runCli(['run', `${TASKS}#square`, '2', '-q', '--report', join(dir, 'run.html')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir), ['run.html']);
  assert.match(readFileSync(join(dir, 'run.html'), 'utf8'), /^<!doctype html>/);
});
