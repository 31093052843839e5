import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseHalt, parseProcesses, parseSize } from '../../dist/cli/units.js';
import { CsvRecords } from '../../dist/cli/csv.js';
import { exitCodeFor } from '../../dist/cli/errors.js';

test('-j takes N, N% of the cores, and cores plus or minus N, never below one', () => {
  assert.equal(parseProcesses('3', 8), 3);
  assert.equal(parseProcesses('50%', 8), 4);
  assert.equal(parseProcesses('200%', 2), 4);
  assert.equal(parseProcesses('+2', 8), 10);
  assert.equal(parseProcesses('-2', 8), 6);
  assert.equal(parseProcesses('-9', 8), 1);
  assert.equal(parseProcesses('10%', 2), 1);
  assert.throws(() => parseProcesses('0', 8), /at least 1, got "0"/);
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

test('--halt follows GNU parallel: never, now|soon,fail=N or N%', () => {
  assert.equal(parseHalt('never'), undefined);
  assert.deepEqual(parseHalt('now,fail=1'), { when: 'now', failCount: 1 });
  assert.deepEqual(parseHalt('soon,fail=10%'), { when: 'soon', failPercent: 10 });
  assert.throws(() => parseHalt('later'), /got "later"/);
  assert.throws(() => parseHalt('now,fail=0'), /above zero/);
});

test('sizes are passed on as the pool reads them, and bad ones name the flag', () => {
  assert.equal(parseSize('--max-memory', '512MB'), '512MB');
  assert.equal(parseSize('--max-memory', '1048576'), 1048576);
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
