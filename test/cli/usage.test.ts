import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp, jsonLines } from './helpers.js';

// A user error gets one clear line naming the bad value, exit code 255, and never a stack trace.
function assertUsageError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('a missing module is named, with the path that was tried', async () => {
  assertUsageError(await runCli(['run', 'nope/tasks.ts#x', 'a']), /Cannot find module "nope\/tasks.ts" \(looked for .*nope\/tasks.ts\)/);
});

test('an unknown export is named and the module\'s exports are listed', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.txt'), '1\n2\n');
  const r = await runCli(['run', `${TASKS}#nope`, '--input', join(dir, 'in.txt'), '-o', join(dir, 'out.jsonl')]);
  assertUsageError(r, /has no exported function "nope" \(it exports: .*square/);
});

test('a run that cannot start (an unknown export) leaves no journal: the rerun with the export fixed runs, not refused', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.txt'), '1\n2\n');
  const out = join(dir, 'out.jsonl');
  assertUsageError(await runCli(['run', `${TASKS}#nope`, '--input', join(dir, 'in.txt'), '-o', out]), /has no exported function "nope"/);
  assert.deepEqual(readdirSync(dir), ['in.txt'], 'no journal, output or lock left');
  const fixed = await runCli(['run', `${TASKS}#square`, '--input', join(dir, 'in.txt'), '-o', out, '-q']);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.equal(jsonLines(out).length, 2);
});

test('--force with a run that cannot start keeps the earlier journal: its records are still there to resume', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.txt'), '1\n2\n3\n');
  const out = join(dir, 'out.jsonl');
  const first = await runCli(['run', `${TASKS}#square`, '--input', join(dir, 'in.txt'), '-o', out, '-q']);
  assert.equal(first.code, 0, first.stderr);
  const journal = `${out}.journal`;
  const before = readFileSync(journal, 'utf8');
  const r = await runCli(['run', `${TASKS}#nope`, '--input', join(dir, 'in.txt'), '-o', out, '--force']);
  assertUsageError(r, /has no exported function "nope"/);
  assert.equal(readFileSync(journal, 'utf8'), before, 'the journal is as it was');
  assert.deepEqual(readdirSync(dir).sort(), ['in.txt', 'out.jsonl', 'out.jsonl.journal']);
  const resumed = await runCli(['run', `${TASKS}#square`, '--input', join(dir, 'in.txt'), '-o', out, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /3 from the journal, 0 run now/);
});

test('an -o, --journal or --report that name one file through a symlink or a hard link are refused, and the journal is left as it was', async () => {
  const dir = tmp();
  const journal = join(dir, 'run.journal');
  const first = await runCli(['run', `${TASKS}#square`, '1', '2', '--journal', journal, '-q']);
  assert.equal(first.code, 0, first.stderr);
  const before = readFileSync(journal, 'utf8');
  symlinkSync(journal, join(dir, 'out-link.jsonl'));
  linkSync(journal, join(dir, 'hard.html'));
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '2', '-o', join(dir, 'out-link.jsonl'), '--journal', journal, '--resume']), /Conflicting flags --journal and --output: they name the same file/);
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '2', '--report', join(dir, 'hard.html'), '--journal', journal, '--resume']), /Conflicting flags --report and --output or --journal: they name the same file/);
  assert.equal(readFileSync(journal, 'utf8'), before);
});

test('an unreadable input is refused: missing file, folder, no permission', async () => {
  const dir = tmp();
  assertUsageError(await runCli(['run', `${TASKS}#square`, '--input', join(dir, 'missing.txt')]), /--input: no such file ".*missing.txt"/);
  assertUsageError(await runCli(['run', `${TASKS}#square`, '--input', dir]), /is a folder, not a file/);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked.txt');
    writeFileSync(locked, '1\n');
    chmodSync(locked, 0);
    assertUsageError(await runCli(['run', `${TASKS}#square`, '--input', locked]), /Cannot read the input/);
  }
});

test('an output path in a missing folder is refused before anything runs', async () => {
  const dir = tmp();
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '-o', join(dir, 'no/such/out.jsonl')]), /--output: the folder ".*no\/such" .* does not exist/);
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '--report', join(dir, 'gone/r.html')]), /--report: the folder/);
});

test('conflicting and malformed flags are refused with the flag and the value', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--resume', '--force', '--journal', 'j'], /Conflicting flags --resume and --force/],
    [['--quiet', '--progress'], /Conflicting flags --quiet and --progress/],
    [['--timeout', 'soon'], /--timeout expects a duration .* got "soon"/],
    [['-j', 'many'], /-j\/--processes expects N, N%, \+N, -N or 0 \(all cores\), got "many"/],
    [['--halt', 'now,fail=x'], /--halt expects .* got "now,fail=x"/],
    [['--format', 'xml'], /--format expects lines, jsonl, csv or tsv, got "xml"/],
    [['--chunksize', '0'], /--chunksize expects a positive whole number, got "0"/],
    [['--max-memory', 'lots'], /--max-memory expects a size .* got "lots"/],
    [['--resume'], /--resume needs a journal/],
    [['--frobnicate'], /unknown option --frobnicate \(see forkpool run --help\)/],
    [['--proceses', '2'], /unknown option --proceses; did you mean --processes\?/],
    [['--retry-on', 'error'], /--retry-on needs --retries N/],
    [['--delay', '1s', '--max-rate', '2/s'], /Conflicting flags --delay and --max-rate/],
    // Values the pool would refuse are refused here, named, and not reported as internal errors.
    [['--max-memory', '10MB'], /Expected `--max-memory` to be at least 32MB .* got "10MB"/],
    [['--max-memory', '0'], /Expected `--max-memory` to be a positive number of bytes .* got 0/],
    [['--max-memory', '99999999999999999999999GB'], /--max-memory.* got "99999999999999999999999GB"/],
    [['-j', '99999999999999999999'], /-j\/--processes is far beyond .* got "99999999999999999999"/],
  ];
  for (const [flags, pattern] of cases) assertUsageError(await runCli(['run', `${TASKS}#square`, '1', ...flags]), pattern);
  const dir = tmp();
  writeFileSync(join(dir, 'in.txt'), '1\n');
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '--input', join(dir, 'in.txt')]), /Conflicting flags --input and command-line items/);
});

test('a malformed JSON line is reported with its line number, recorded as failed, and the run goes on', async () => {
  const dir = tmp();
  const input = join(dir, 'items.jsonl');
  writeFileSync(input, '{"n":1}\n{"n":2\n\n{"n":4}\n');
  const out = join(dir, 'out.jsonl');
  const r = await runCli(['run', `${TASKS}#pick`, '--input', input, '-o', out, '-k']);
  assert.equal(r.code, 1, r.stderr);
  const rows = jsonLines(out);
  assert.deepEqual(rows.map((x) => x.ok), [true, false, true]);
  assert.equal(rows[2]!.value, 4);
  const err = rows[1]!.error as { message: string; code: string };
  assert.match(err.message, /items.jsonl line 2: malformed JSON/);
  assert.equal(err.code, 'ERR_FORKPOOL_INPUT_LINE');
  const journal = jsonLines(`${out}.journal`);
  assert.equal(journal.filter((x) => x.ok === false).length, 1);
  assert.match(r.stderr, /1 unparsable input/);
});

test('a journal from an earlier run is never silently reused or discarded', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  assert.equal((await runCli(['run', `${TASKS}#square`, '1', '2', '-o', out])).code, 0);
  assertUsageError(await runCli(['run', `${TASKS}#square`, '1', '2', '-o', out]), /exists from an earlier run\. Pass --resume .* or --force/);
});

test('help and version print and exit 0; no command is a usage error', async () => {
  const help = await runCli(['run', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--keep-order/);
  assert.equal((await runCli(['--version'])).code, 0);
  assert.equal((await runCli([])).code, 255);
  assertUsageError(await runCli(['walk']), /Unknown command "walk"/);
});

test('an output, report or journal that is the input file is refused before anything is written', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, '1\n2\n');
  for (const flag of ['--output', '--report', '--journal']) {
    const r = await runCli(['run', `${TASKS}#square`, '--input', input, flag, input]);
    assertUsageError(r, new RegExp(`Conflicting flags ${flag} and the input: ${flag} .*in\\.txt is the file the items are read from`));
    assert.equal(readFileSync(input, 'utf8'), '1\n2\n', `${flag}: the input is untouched`);
  }
  // Through another name of the same file (a hard link) too.
  linkSync(input, join(dir, 'alias.txt'));
  assertUsageError(await runCli(['run', `${TASKS}#square`, '--input', input, '-o', join(dir, 'alias.txt')]), /Conflicting flags --output and the input/);
});
