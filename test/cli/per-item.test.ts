/**
 * Per-item truth in chunks, through the real binary: one slow item in a chunk
 * shows its own time in the output, the summary and the report's Gantt chart,
 * and `--spread` calls the function with each item's fields as parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp, jsonLines } from './helpers.js';

const SLOW_MS = 200;

test('a slow item in a chunk of 8 shows its own time in -o, slowest, p99 and the Gantt chart', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const report = join(dir, 'run.html');
  const items = ['0', '0', '0', String(SLOW_MS), '0', '0', '0', '0'];
  const r = await runCli(['run', `${TASKS}#sleepy`, ...items, '-j', '1', '--chunksize', '8', '-k', '-o', out, '--report', report, '--json-summary', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonLines(out);
  const slow = rows[3]!;
  assert.equal(slow.value, SLOW_MS);
  assert.ok((slow.ms as number) >= SLOW_MS * 0.9, `slow item: ${slow.ms} ms`);
  for (const row of rows.filter((x) => x !== slow)) assert.ok((row.ms as number) < SLOW_MS / 2, `${row.input}: ${row.ms} ms`);

  const summary = JSON.parse(r.stdout.trim()) as { slowest: Array<{ input: string; ms: number }>; taskMs: { p50: number; p99: number } };
  assert.equal(summary.slowest[0]!.input, String(SLOW_MS));
  assert.ok(summary.slowest[0]!.ms >= SLOW_MS * 0.9);
  assert.ok(summary.taskMs.p99 >= SLOW_MS * 0.9 && summary.taskMs.p50 < SLOW_MS / 2, JSON.stringify(summary.taskMs));

  // The Gantt: the chunk's bars sit one after another, the slow one wide; not 8 equal bars ending together.
  const html = readFileSync(report, 'utf8');
  const bars = [...html.matchAll(/<rect class="task ok" x="([\d.]+)" y="\d+" width="([\d.]+)"/g)]
    .map((m) => ({ x: Number(m[1]), w: Number(m[2]) })).sort((a, b) => a.x - b.x);
  assert.equal(bars.length, 8);
  const widest = bars.reduce((a, b) => (b.w > a.w ? b : a));
  assert.ok(bars.filter((b) => b !== widest).every((b) => b.w < widest.w / 4), JSON.stringify(bars));
  const after = bars.filter((b) => b.x > widest.x);
  assert.ok(after.length > 0 && after.every((b) => b.x >= widest.x + widest.w - 1), `bars after the slow one start when it ended: ${JSON.stringify(bars)}`);
});

test('--spread calls f(...item) with the values of several ::: sources', async () => {
  const r = await runCli(['run', `${TASKS}#argsOf`, '--spread', '-k', '-j', '1', '-q', ':::', 'a', 'b', ':::', '1', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['["a","1"]', '["a","2"]', '["b","1"]', '["b","2"]']);
});

test('--spread passes the fields of a CSV row, in column order, as parameters', async () => {
  const dir = tmp();
  const input = join(dir, 'in.csv');
  writeFileSync(input, '2,1\n"x,y",z\np,q\n');
  const r = await runCli(['run', `${TASKS}#argsOf`, '--input', input, '--spread', '-k', '-j', '1', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['["x,y","z"]', '["p","q"]']);
});

test('--spread splits --colsep lines and JSON arrays; any other item is the one argument', async () => {
  const colsep = await runCli(['run', `${TASKS}#argsOf`, '--colsep', ':', '--spread', '-k', '-j', '1', '-q', 'a:b', 'c']);
  assert.equal(colsep.code, 0, colsep.stderr);
  assert.deepEqual(colsep.stdout.trim().split('\n'), ['["a","b"]', '["c"]']);
  const jsonl = await runCli(['run', `${TASKS}#argsOf`, '--format', 'jsonl', '--input', '-', '--spread', '-k', '-j', '1', '-q'], { stdin: '[1,2]\n{"n":3}\n"s"\n' });
  assert.equal(jsonl.code, 0, jsonl.stderr);
  assert.deepEqual(jsonl.stdout.trim().split('\n'), ['[1,2]', '[{"n":3}]', '["s"]']);
});

test('--dry-run --spread shows each call with its separate arguments', async () => {
  const r = await runCli(['run', `${TASKS}#argsOf`, '--spread', '--dry-run', '-q', ':::', 'a', ':::', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /#argsOf\("a", "1"\)/);
});
