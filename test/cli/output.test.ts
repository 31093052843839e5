import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { describeEnvironmentError, isEnvironmentError } from '../../dist/cli/errno.js';
import { MAX_JSON_DEPTH, toJsonText } from '../../dist/cli/encode.js';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CLI, runCli, TASKS, tmp, jsonLines } from './helpers.js';

test('without -o each value is printed on stdout as a line: strings raw, the rest as JSON', async () => {
  const r = await runCli(['run', `${TASKS}#rich`, 'text', 'date', 'bigint', '-k', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n'), ['two words', '"2024-01-02T03:04:05.000Z"', '"12345678901234567890"', '']);
  const json = await runCli(['run', `${TASKS}#rich`, 'text', '-q', '--output-format', 'json']);
  assert.equal(json.stdout, '"two words"\n');
});

test('without -o a failure is not printed on stdout; the summary lists the first failures and where the rest are', async () => {
  const items = Array.from({ length: 50 }, (_, i) => String(i + 1));
  const r = await runCli(['run', `${TASKS}#failOnSevens`, ...items, '-k', '-j', '2']);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 43);
  assert.match(r.stderr, /first 5 of 7 failures:\n {4}7: RangeError: 7 is a multiple of seven\n/);
  assert.match(r.stderr, /the rest: pass -o FILE or --report FILE\.html/);
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const withFile = await runCli(['run', `${TASKS}#failOnSevens`, ...items, '-o', out]);
  assert.match(withFile.stderr, new RegExp(`the rest: ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(lines with "ok":false\\)`));
});

test('Map, Set, BigInt, Buffer and Date results are encoded in -o JSON, and an invalid Date is null, not a crash', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', `${TASKS}#rich`, 'map', 'objmap', 'set', 'bigint', 'buffer', 'date', 'baddate', '-o', out, '-k', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(out).map((x) => x.value), [
    { a: 1, b: [2, 3] },
    [[{ id: 1 }, 'x']],
    ['x', 'y'],
    '12345678901234567890',
    Buffer.from('hi').toString('base64'),
    '2024-01-02T03:04:05.000Z',
    { when: null },
  ]);
  // The journal recorded the same values: a resumed run prints the same output.
  const again = await runCli(['run', `${TASKS}#rich`, 'map', 'objmap', 'set', 'bigint', 'buffer', 'date', 'baddate', '-o', out, '-k', '-q', '--resume']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(jsonLines(out).map((x) => x.value)[6], { when: null });
});

test('a result nested 2,000 deep is written as JSON, the items after it run, and a resume replays it without a crash', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const args = ['run', `${TASKS}#rich`, 'text', 'deep', 'set', '-o', out, '-j', '1', '--chunksize', '1', '-k', '-q'];
  const depthOf = (v: unknown): number => { let n = 0; while (Array.isArray(v)) { n++; v = v[0]; } return n; };
  for (const extra of [[], ['--resume']]) {
    const r = await runCli([...args, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const rows = jsonLines(out);
    assert.deepEqual(rows.map((x) => x.ok), [true, true, true]);
    assert.equal(depthOf(rows[1].value), 2001);
    assert.deepEqual(rows[2].value, ['x', 'y']);
  }
});

test('results nested 2,000 and 2,900 deep never fail the run: the first is recorded, and a resume ends as the run did', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const args = ['run', `${TASKS}#rich`, 'deep', 'deeper', 'text', '-o', out, '-j', '1', '--chunksize', '1', '-k', '-q'];
  for (const extra of [[], ['--resume']]) {
    const r = await runCli([...args, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonLines(out).map((x) => x.ok), [true, true, true]);
  }
  // The 2,000-deep value and the text are recorded; the 2,900-deep one is when this process's V8
  // can write it again (value-codec.ts), else it ran again on resume.
  const keys = readFileSync(`${out}.journal`, 'utf8').trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { i: number }).i);
  assert.ok(keys.includes(0) && keys.includes(2), `recorded items: ${keys.join(', ')}`);
});

test('JSON for people cuts nesting deeper than MAX_JSON_DEPTH to "[Too deep]" instead of overflowing the stack', () => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < 20_000; i++) deep = i % 2 ? [deep] : new Map([[{ i }, deep]]);
  const text = toJsonText(deep);
  assert.ok(text.includes('"[Too deep]"'));
  let max = 0;
  for (const stack: Array<[unknown, number]> = [[JSON.parse(text), 1]]; stack.length > 0;) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d);
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  assert.equal(max, MAX_JSON_DEPTH);
  const cyclic: Record<string, unknown> = { n: 1 };
  cyclic.self = [cyclic];
  assert.equal(toJsonText(cyclic), '{"n":1,"self":["[Circular]"]}');
});

test('-o /dev/null writes no journal beside the device; --journal still chooses one', async () => {
  const r = await runCli(['run', `${TASKS}#square`, '1', '2', '-o', '/dev/null', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync('/dev/null.journal'), 'no /dev/null.journal');
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  assert.equal((await runCli(['run', `${TASKS}#square`, '1', '2', '-o', '/dev/null', '--journal', journal, '-q'])).code, 0);
  assert.equal(jsonLines(journal).length, 3, 'a header and two records');
});

test('-o - | head -1 stops quietly when the reader goes away: no EPIPE stack', async () => {
  const items = Array.from({ length: 20_000 }, (_, i) => String(i));
  const child = spawn(process.execPath, [CLI, 'run', `${TASKS}#square`, ...items, '-o', '-', '-j', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  // Read the first line, then close the pipe, as `head -1` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.doesNotMatch(stderr, /EPIPE|internal error|\n\s+at /, stderr);
  assert.equal(code, 141, stderr);
});

/** Runs the CLI, reads the first chunk of stdout, then closes the pipe as `head -1` does. */
async function readOneThenClose(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

test('--dry-run | head -1 and run --help | head -1 end quietly with 141, not an EPIPE stack', async () => {
  const items = Array.from({ length: 50_000 }, (_, i) => String(i));
  for (const args of [['run', `${TASKS}#square`, ...items, '--dry-run'], ['run', '--help']]) {
    const { code, stderr } = await readOneThenClose(args);
    assert.doesNotMatch(stderr, /EPIPE|internal error|Unhandled|\n\s+at /, stderr);
    // --help fits in one pipe buffer: it may be written whole before the reader goes (exit 0).
    assert.ok(code === 141 || (args[1] === '--help' && code === 0), `${args[1]}: exit ${code}`);
  }
});

test('a closed stderr (its reader went away) does not stop the run: every result is written, exit 0', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const items = Array.from({ length: 300 }, () => '5');
  const child = spawn(process.execPath, [CLI, 'run', `${TASKS}#sleepy`, ...items, '-j', '2', '--chunksize', '1', '--progress', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  // The first progress line, then the reader is gone: every later progress line fails with EPIPE.
  await new Promise<void>((resolve) => child.stderr.once('data', () => { child.stderr.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0);
  assert.equal(jsonLines(out).length, 300);
});

test('results on a stdout nobody reads wait for it (backpressure): the run does not race ahead and buffer them all', async () => {
  const child = spawn(process.execPath, [CLI, 'run', `${TASKS}#square`, '--input', '-', '-j', '2', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  // An endless input and a reader that reads nothing for a while.
  let sent = 0;
  const feed = () => { while (child.stdin.write(`${sent++ % 1000}\n`)) { /* until the pipe is full */ } };
  child.stdin.on('drain', feed);
  child.stdin.on('error', () => {});
  feed();
  child.stdout.pause();
  await delay(3_000);
  const readBefore = sent;
  await delay(1_000);
  // Stalled: the runner read (nearly) nothing more from stdin while its stdout was full.
  assert.ok(sent - readBefore < 20_000, `the runner took ${sent - readBefore} more items in 1 s with a full stdout`);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
});

test('a full disk (ENOSPC) is one line naming the file, not an internal error', async () => {
  if (!existsSync('/dev/full')) return;
  const r = await runCli(['run', `${TASKS}#square`, ...Array.from({ length: 3000 }, (_, i) => String(i)), '-o', '/dev/full', '-q']);
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, /^forkpool: cannot write \/dev\/full: no space left on the device \(ENOSPC\)\n$/);
});

test('a --dry-run listing, a --json-summary or values that cannot be written to stdout (ENOSPC) end with exit 255 and one line naming stdout', async (t) => {
  if (!existsSync('/dev/full')) return t.skip('no /dev/full here to give stdout a full disk');
  const dir = tmp();
  // stdout opened on the full device for writing (the device is only written to, never replaced).
  const full = openSync('/dev/full', 'w');
  try {
    // Values on stdout (no -o) too: the message names stdout, not nothing.
    for (const args of [['--dry-run'], ['-o', join(dir, 'out.jsonl'), '-q', '--json-summary'], ['-q']]) {
      const r = spawnSync(process.execPath, [CLI, 'run', `${TASKS}#square`, '1', '2', ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      assert.equal(r.status, 255, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /forkpool: cannot write stdout: no space left on the device \(ENOSPC\)\n$/, args.join(' '));
    }
  } finally {
    closeSync(full);
  }
});

test('an unwritable output, journal or report folder is refused before the run starts', async (t) => {
  if (process.getuid?.() === 0) return t.skip('root may write anywhere');
  const dir = tmp();
  chmodSync(dir, 0o555);
  for (const [flag, shown] of [['-o', '-o'], ['--journal', '--journal'], ['--report', '--report']]) {
    const r = await runCli(['run', `${TASKS}#square`, '1', flag!, join(dir, 'x')]);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, new RegExp(`^forkpool: ${shown === '-o' ? '--output' : shown}: cannot write ".*": permission denied \\(EACCES\\)\n$`));
  }
});

test('file system errors are one line by errno code: EROFS, ENOSPC, EACCES', () => {
  const err = (code: string) => Object.assign(new Error(`${code}: something`), { code, syscall: 'open', path: '/mnt/ro/out.jsonl' });
  assert.ok(isEnvironmentError(err('EROFS')));
  assert.equal(describeEnvironmentError(err('EROFS')), 'cannot write /mnt/ro/out.jsonl: the file system is read-only (EROFS)');
  assert.equal(describeEnvironmentError(err('ENOSPC')), 'cannot write /mnt/ro/out.jsonl: no space left on the device (ENOSPC)');
  assert.ok(!isEnvironmentError(new TypeError('a bug')), 'a bug stays a bug');
});

test('--format csv applies to command-line items too: the first is the header', async () => {
  const r = await runCli(['run', TASKS, 'n,label', '1,a', '2,"b, c"', '--format', 'csv', '-k', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), [{ n: '1', label: 'a' }, { n: '2', label: 'b, c' }]);
});

test('a large output to a slow or full stream adds one drain listener, not one per waiting write (no MaxListenersExceededWarning)', async () => {
  const { writeFileSync } = await import('node:fs');
  const input = join(tmp(), 'in.txt');
  writeFileSync(input, Array.from({ length: 300_000 }, (_, i) => String(i)).join('\n'));
  const r = await runCli(['run', `${TASKS}#square`, '--input', input, '-o', '/dev/null', '-j', '2', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /MaxListenersExceededWarning/);
});
