import { test } from 'node:test';
import assert from 'node:assert/strict';
import { count, formatEta, parseDuration, parseHalt, parseProcesses, parseRate, parseRetryOn, parseSize, plural } from '../../dist/cli/units.js';
import { closest } from '../../dist/cli/flags.js';
import { CsvRecords } from '../../dist/cli/csv.js';
import { exitCodeFor } from '../../dist/cli/errors.js';

test('-j takes N, N% of the cores, cores plus or minus N, and 0 for all cores, never below one', () => {
  assert.equal(parseProcesses('3', 8), 3);
  assert.equal(parseProcesses('50%', 8), 4);
  assert.equal(parseProcesses('200%', 2), 4);
  assert.equal(parseProcesses('+2', 8), 10);
  assert.equal(parseProcesses('-2', 8), 6);
  assert.equal(parseProcesses('-9', 8), 1);
  assert.equal(parseProcesses('10%', 2), 1);
  assert.equal(parseProcesses('0', 8), 8);
  assert.equal(parseProcesses('-1', 8), 7);
  assert.throws(() => parseProcesses('four', 8), /got "four"/);
});

test('durations accept ms, s, m, h, and a bare number means seconds', () => {
  assert.equal(parseDuration('--timeout', '500ms'), 500);
  assert.equal(parseDuration('--timeout', '30s'), 30_000);
  assert.equal(parseDuration('--timeout', '1.5'), 1_500);
  assert.equal(parseDuration('--timeout', '2m'), 120_000);
  assert.throws(() => parseDuration('--timeout', '0s'), /--timeout must be more than zero, got "0s"/);
  assert.throws(() => parseDuration('--timeout', '5 days'), /--timeout expects a duration .* got "5 days"/);
});

test('--halt follows GNU parallel: never, now|soon,fail|success|done=N or N%', () => {
  assert.equal(parseHalt('never'), undefined);
  assert.deepEqual(parseHalt('now,fail=1'), { when: 'now', what: 'fail', count: 1 });
  assert.deepEqual(parseHalt('soon,fail=10%'), { when: 'soon', what: 'fail', percent: 10 });
  assert.deepEqual(parseHalt('now,success=1'), { when: 'now', what: 'success', count: 1 });
  assert.deepEqual(parseHalt('soon,done=50%'), { when: 'soon', what: 'done', percent: 50 });
  assert.throws(() => parseHalt('now,done=150%'), /at most 100%/);
  assert.throws(() => parseHalt('later'), /got "later"/);
  assert.throws(() => parseHalt('now,fail=0'), /above zero/);
});

test('sizes are passed on as the pool reads them, and bad ones name the flag', () => {
  assert.equal(parseSize('--max-memory', '512MB'), '512MB');
  assert.equal(parseSize('--max-memory', '536870912'), 536870912);
  // The pool's own range, said here so the message names the flag: a worker needs more than 1 MiB.
  assert.throws(() => parseSize('--max-memory', '1048576'), /`--max-memory` to be at least 32MB .* got 1048576/);
  assert.throws(() => parseSize('--max-memory', 'big'), /--max-memory expects a size .* got "big"/);
});

test('exit codes count failed items up to 100, then 101', () => {
  assert.deepEqual([0, 1, 100, 101, 5000].map(exitCodeFor), [0, 1, 100, 101, 101]);
});

test('CSV records span lines inside quotes, and a row with the wrong field count is an error', () => {
  const csv = new CsvRecords();
  const lines = ['a,b', '1,"x, ""y"""', '2,"multi', 'line"', '3'];
  const out: unknown[] = [];
  const errors: string[] = [];
  lines.forEach((l, i) => {
    try { const r = csv.push(l, i + 1); if (r) out.push(r); } catch (e) { errors.push(`${csv.startLine}: ${(e as Error).message}`); }
  });
  assert.deepEqual(out, [{ a: '1', b: 'x, "y"' }, { a: '2', b: 'multi\nline' }]);
  assert.deepEqual(errors, ['5: expected 2 fields (as in the header), got 1']);
});

test('--retry-on takes a comma list of error, crash and timeout; --max-rate takes starts per second, minute or hour', () => {
  assert.deepEqual(parseRetryOn('error,timeout'), ['error', 'timeout']);
  assert.deepEqual(parseRetryOn('crash'), ['crash']);
  assert.throws(() => parseRetryOn('error,oops'), /--retry-on expects .* got "error,oops"/);
  assert.equal(parseRate('5/s'), 5);
  assert.equal(parseRate('120/m'), 2);
  assert.equal(parseRate('3'), 3);
  assert.throws(() => parseRate('fast'), /--max-rate expects .* got "fast"/);
});

test('a mistyped flag is matched to the closest known one, and nonsense to none', () => {
  assert.equal(closest('proceses'), 'processes');
  assert.equal(closest('keeporder'), 'keep-order');
  assert.equal(closest('retry-onn'), 'retry-on');
  assert.equal(closest('xyzzy'), undefined);
});

test('counts are pluralized and an ETA is whole seconds, never "0.00ms"', () => {
  assert.equal(plural(1, 'item'), '1 item');
  assert.equal(plural(1234, 'item'), '1,234 items');
  assert.equal(formatEta(0), '0s');
  assert.equal(formatEta(0.4), '<1s');
  assert.equal(formatEta(10_200), '11s');
  assert.equal(formatEta(75_000), '1m15s');
});

test('counts get thousands separators as en-US writes them, without loading Intl', () => {
  for (const n of [0, 1, 12, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 1_234_567_890, -1, -1234, Number.MAX_SAFE_INTEGER, 0.5, 1234.5678, -0.25]) {
    assert.equal(count(n), n.toLocaleString('en-US'), String(n));
  }
  assert.equal(plural(1234, 'item'), '1,234 items');
});
