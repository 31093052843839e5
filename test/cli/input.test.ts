import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, finish, jsonLines, runCli, startCli, TASKS, tmp } from './helpers.js';

const lines = (r: { stdout: string }) => r.stdout.trim().split('\n');

test('::: sources combine as a cross product, the first varying slowest; :::+ links a source to the one before', async () => {
  const cross = await runCli(['run', TASKS, '-k', '-q', ':::', 'a', 'b', ':::', '1', '2']);
  assert.equal(cross.code, 0, cross.stderr);
  assert.deepEqual(lines(cross), ['["a","1"]', '["a","2"]', '["b","1"]', '["b","2"]']);
  const linked = await runCli(['run', TASKS, '-k', '-q', ':::', 'a', 'b', 'c', ':::+', '1', '2', '3']);
  assert.deepEqual(lines(linked), ['["a","1"]', '["b","2"]', '["c","3"]']);
  const one = await runCli(['run', `${TASKS}#square`, '-k', '-q', ':::', '3', '4']);
  assert.deepEqual(lines(one), ['9', '16']);
});

test(':::: reads a source from a file, and --header names each source by its first value', async () => {
  const dir = tmp();
  const file = join(dir, 'n.txt');
  writeFileSync(file, 'n\n1\n2\n');
  const r = await runCli(['run', TASKS, '-k', '-q', '--header', '::::', file, ':::', 'tag', 'x']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r).map((l) => JSON.parse(l)), [{ n: '1', tag: 'x' }, { n: '2', tag: 'x' }]);
});

test('-0 reads NUL-separated items, so an item may hold a line break', async () => {
  const r = await runCli(['run', TASKS, '-0', '-k', '-q', '--output-format', 'json'], { stdin: 'one\ntwo\0three\0' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r).map((l) => JSON.parse(l)), ['one\ntwo', 'three']);
});

test('TSV rows, and --colsep with or without --header, split lines into fields', async () => {
  const dir = tmp();
  const tsv = join(dir, 'rows.tsv');
  writeFileSync(tsv, 'n\tname\n1\tann\n2\tbob\n');
  const r = await runCli(['run', TASKS, '--input', tsv, '-k', '-q']);
  assert.deepEqual(lines(r).map((l) => JSON.parse(l)), [{ n: '1', name: 'ann' }, { n: '2', name: 'bob' }]);
  const arrays = await runCli(['run', TASKS, '--colsep', ';', '-k', '-q'], { stdin: 'a;b\nc;d\n' });
  assert.deepEqual(lines(arrays).map((l) => JSON.parse(l)), [['a', 'b'], ['c', 'd']]);
  const objects = await runCli(['run', TASKS, '--colsep', ';', '--header', '-k', '-q'], { stdin: 'x;y\n1;2\n' });
  assert.deepEqual(lines(objects).map((l) => JSON.parse(l)), [{ x: '1', y: '2' }]);
});

test('stdin is chunked like a file: a long piped input does not go one item per message', async () => {
  const input = `${Array.from({ length: 20_000 }, (_, i) => i).join('\n')}\n`;
  const r = await runCli(['run', `${TASKS}#square`, '-j', '2', '--json-summary', '-q'], { stdin: input });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stderr.trim().split('\n').pop()!);
  assert.equal(summary.total, 20_000);
  assert.equal(summary.chunksize, 32, 'the largest auto chunk for a long input');
  const short = await runCli(['run', `${TASKS}#square`, '-j', '2', '--json-summary', '-q'], { stdin: `${Array.from({ length: 3000 }, (_, i) => i).join('\n')}\n` });
  const s2 = JSON.parse(short.stderr.trim().split('\n').pop()!);
  assert.equal(s2.inputTotal, 3000, 'a piped input that ended while it was sampled has a known total');
  assert.equal(s2.chunksize, 23, 'sized like a file of 3,000 lines: 3000 / (2 workers × 64)');
});

test('records() joins a line cut across many chunks (one search per chunk), and a CR before a cut newline is dropped', async () => {
  const { records } = await import('../../dist/cli/input.js');
  const { Readable } = await import('node:stream');
  const long = 'x'.repeat(5_000_000);
  // 64 KB chunks, as a file is read; the CRLF is split between two of them.
  const text = `a\r\n${long}\r\nb`;
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
  const cut = bytes.indexOf('\r\nb');
  chunks.splice(0, chunks.length, ...[bytes.subarray(0, cut + 1), bytes.subarray(cut + 1)].flatMap((part) => {
    const out: Buffer[] = [];
    for (let at = 0; at < part.length; at += 65_536) out.push(part.subarray(at, at + 65_536));
    return out;
  }));
  const got: string[] = [];
  for await (const r of records(Readable.from(chunks), false)) got.push(r);
  assert.deepEqual(got.map((r) => r.length), [1, long.length, 1]);
  assert.equal(got[1], long);
  assert.equal(got[2], 'b');
});

test('the input total counts exactly the items that run: blank lines, whitespace rows in CSV, empty arguments', async () => {
  const dir = tmp();
  const summaryOf = async (args: string[]) => {
    const r = await runCli(['run', TASKS, '-k', '-q', '--output-format', 'json', '--json-summary', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stderr.trim().split('\n').pop()!) as { total: number; inputTotal: number };
    return { values: lines(r).map((l) => JSON.parse(l) as unknown), total: summary.total, inputTotal: summary.inputTotal };
  };
  // Lines of ASCII whitespace (spaces, tabs, a form feed, a CR) are layout; a no-break space is data.
  const text = join(dir, 'items.txt');
  writeFileSync(text, 'a\n\f\n \t\r\nb\n\u00a0\n\n\r\nc');
  const fromText = await summaryOf(['--input', text]);
  assert.deepEqual(fromText.values, ['a', 'b', '\u00a0', 'c']);
  assert.equal(fromText.inputTotal, 4);
  assert.equal(fromText.total, 4);
  // A byte order mark then a blank line: the mark is not an item, nor is the line.
  const bom = join(dir, 'bom.txt');
  writeFileSync(bom, '\ufeff\na\nb\n');
  const fromBom = await summaryOf(['--input', bom]);
  assert.deepEqual(fromBom.values, ['a', 'b']);
  assert.equal(fromBom.inputTotal, 2);
  assert.equal(fromBom.total, 2);
  // In CSV a line of spaces is a row; only an empty line (or a lone CR) is layout.
  const csv = join(dir, 'rows.csv');
  writeFileSync(csv, 'v\r\n   \r\n\r\nb\r\n\r\n');
  const fromCsv = await summaryOf(['--input', csv]);
  assert.deepEqual(fromCsv.values, [{ v: '   ' }, { v: 'b' }]);
  assert.equal(fromCsv.inputTotal, 2);
  // NUL-separated records: a record of a line break alone is layout too.
  const nul = join(dir, 'items.bin');
  writeFileSync(nul, 'x\0\n\0y\ny\0');
  const fromNul = await summaryOf(['-0', '--input', nul]);
  assert.deepEqual(fromNul.values, ['x', 'y\ny']);
  assert.equal(fromNul.inputTotal, 2);
  // Items given after the module.
  const fromArgs = await summaryOf(['a', '', ' ', 'b']);
  assert.deepEqual(fromArgs.values, ['a', 'b']);
  assert.equal(fromArgs.inputTotal, 2);
});

test('a UTF-8 byte order mark (Excel\'s CSVs) is not part of the first column\'s name, the first JSON line or the first item', async () => {
  const dir = tmp();
  const BOM = '\ufeff';
  const csv = join(dir, 'excel.csv');
  writeFileSync(csv, `${BOM}a,b\r\n1,"x\r\ny"\r\n`);
  const rows = await runCli(['run', TASKS, '--input', csv, '-k', '-q']);
  assert.equal(rows.code, 0, rows.stderr);
  assert.deepEqual(lines(rows).map((l) => JSON.parse(l)), [{ a: '1', b: 'x\ny' }]);
  const jsonl = join(dir, 'items.jsonl');
  writeFileSync(jsonl, `${BOM}{"n":1}\n{"n":2}\n`);
  const objects = await runCli(['run', TASKS, '--input', jsonl, '-k', '-q']);
  assert.equal(objects.code, 0, objects.stderr);
  assert.deepEqual(lines(objects).map((l) => JSON.parse(l)), [{ n: 1 }, { n: 2 }]);
  const text = join(dir, 'items.txt');
  writeFileSync(text, `${BOM}first\nsecond\n`);
  const plain = await runCli(['run', TASKS, '--input', text, '-k', '-q']);
  assert.deepEqual(lines(plain), ['first', 'second']);
  const source = await runCli(['run', TASKS, '-k', '-q', '::::', text]);
  assert.deepEqual(lines(source), ['first', 'second']);
  const piped = await runCli(['run', TASKS, '-k', '-q'], { stdin: `${BOM}a\nb\n` });
  assert.deepEqual(lines(piped), ['a', 'b']);
});

test('a CSV record that cannot be read keeps its text as the failed item\'s input: a quote never closed, a row of the wrong width over two lines', async () => {
  const dir = tmp();
  const csv = join(dir, 'bad.csv');
  writeFileSync(csv, 'a,b\n1,"two\nlines",3\n4,5\n6,"open\nmore\n');
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', TASKS, '--input', csv, '-o', out, '-k', '-q']);
  assert.equal(r.code, 2, r.stderr);
  const rows = jsonLines(out);
  assert.deepEqual(rows.map((x) => x.input), ['1,"two\nlines",3', { a: '4', b: '5' }, '6,"open\nmore']);
  assert.match(String((rows[0]!.error as { message: string }).message), /bad\.csv line 2: expected 2 fields/);
  assert.match(String((rows[2]!.error as { message: string }).message), /bad\.csv line 5: a quoted field is never closed/);
});

test('a JSON line nested 10,000 deep fails as one item; the lines around it run and a resume goes on', async () => {
  const dir = tmp();
  const input = join(dir, 'deep.jsonl');
  writeFileSync(input, `[1]\n${'['.repeat(10_000)}${']'.repeat(10_000)}\n[2]\n`);
  const out = join(dir, 'out.jsonl');
  for (const extra of [[], ['--resume']]) {
    const r = await runCli(['run', TASKS, '--input', input, '-o', out, '-k', '-q', ...extra]);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    const rows = jsonLines(out);
    assert.deepEqual(rows.map((x) => x.ok), [true, false, true]);
    assert.deepEqual([rows[0]!.value, rows[2]!.value], [[1], [2]]);
    assert.equal((rows[1]!.error as { name: string }).name, 'DataCloneError');
  }
});

test('--input that is a pipe or device (/dev/stdin, <(cmd)) is read once: every item runs, none lost to a scan up front', async () => {
  // Through a shell, as a user types it: a real pipe, and a process substitution's /dev/fd path.
  for (const [script, how] of [['seq 1 5 | "$0" "$@" --input /dev/stdin', '/dev/stdin'], ['seq 1 5 > "$D/p"; exec 3< "$D/p"; "$0" "$@" --input /dev/fd/3', '/dev/fd/3']] as const) {
    const D = tmp();
    const r = await finish(spawn('sh', ['-c', script.replace('exec 3< "$D/p"', `mkfifo "$D/q"; (cat "$D/p" > "$D/q" &); exec 3< "$D/q"`), process.execPath, CLI, 'run', `${TASKS}#square`, '-q', '--json-summary'], { env: { ...process.env, D }, stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(r.code, 0, `${how}: ${r.stderr}`);
    assert.deepEqual(lines(r).map(Number).sort((a, b) => a - b), [1, 4, 9, 16, 25], how);
    assert.equal(JSON.parse(r.stderr.trim().split('\n').pop()!).ok, 5, how);
  }
});

test('--input FIFO: its items run once a writer comes; with no writer, SIGTERM still ends the run (exit 130)', { timeout: 30_000 }, async () => {
  const dir = tmp();
  const fifo = join(dir, 'items.fifo');
  execFileSync('mkfifo', [fifo]);
  const child = startCli(['run', `${TASKS}#square`, '--input', fifo, '-q']);
  const done = finish(child);
  await new Promise((resolve) => setTimeout(resolve, 300));
  writeFileSync(fifo, '2\n3\n'); // blocks until the run has opened it for reading
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r).map(Number).sort((a, b) => a - b), [4, 9]);

  const idle = startCli(['run', `${TASKS}#square`, '--input', fifo]);
  const ended = finish(idle);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  idle.kill('SIGTERM');
  const stopped = await ended;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /Interrupted: 0 items/);
});

test('stdin redirected from a folder is refused, naming stdin, for plain input and for :::: -', async () => {
  const folder = openSync(tmp(), 'r');
  try {
    for (const args of [['run', `${TASKS}#square`], ['run', `${TASKS}#square`, '::::', '-']]) {
      const r = await finish(spawn(process.execPath, [CLI, ...args], { stdio: [folder, 'pipe', 'pipe'] }));
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, /stdin.*folder|folder.*stdin/);
      assert.equal(r.stdout, '');
    }
  } finally {
    closeSync(folder);
  }
});
