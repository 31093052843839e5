/**
 * A `--resume` refused midway (it had already written recorded results to `-o`) leaves the
 * previous output byte for byte, and no backup file behind; a run that ends keeps its new output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, TASKS, tmp } from './helpers.js';

const echo = (dir: string, extra: string[], stdin?: string) =>
  runCli(['run', `${TASKS}#square`, '-o', join(dir, 'out.jsonl'), '-q', '-k', ...extra], stdin === undefined ? {} : { stdin });

function assertKept(dir: string, before: Buffer, mode: number): void {
  const out = join(dir, 'out.jsonl');
  assert.deepEqual(readFileSync(out), before, 'the previous output, byte for byte');
  assert.equal(statSync(out).mode & 0o777, mode, 'with its permissions');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.bak')), [], 'no backup left behind');
}

test('a --resume refused at a changed stdin item leaves the previous -o output byte for byte', async () => {
  const dir = tmp();
  assert.equal((await echo(dir, ['--input', '-'], '1\n2\n3\n')).code, 0);
  chmodSync(join(dir, 'out.jsonl'), 0o640);
  const before = readFileSync(join(dir, 'out.jsonl'));
  assert.equal(before.toString().trim().split('\n').length, 3);
  const r = await echo(dir, ['--input', '-', '--resume'], '1\n7\n3\n');
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, /belongs to a different run/);
  assertKept(dir, before, 0o640);
});

test('a --resume refused at a journal record that does not decode leaves the previous -o output byte for byte', async () => {
  const dir = tmp();
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${Array.from({ length: 20 }, (_, i) => i + 1).join('\n')}\n`);
  assert.equal((await echo(dir, ['--input', input])).code, 0);
  const journal = join(dir, 'out.jsonl.journal');
  const lines = readFileSync(journal, 'utf8').split('\n');
  const rec = JSON.parse(lines[3]);
  delete rec.v;
  rec.x = '!!!'; // bad base64: found when the record is read back, after earlier ones were written out
  lines[3] = JSON.stringify(rec);
  writeFileSync(journal, lines.join('\n'));
  const before = readFileSync(join(dir, 'out.jsonl'));
  const r = await echo(dir, ['--input', input, '--resume']);
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stderr, /damaged at line 4/);
  assertKept(dir, before, statSync(join(dir, 'out.jsonl')).mode & 0o777);
});

test('a --resume that completes replaces the output whole, keeping its permissions and no backup', async () => {
  const dir = tmp();
  assert.equal((await echo(dir, ['--input', '-'], '1\n2\n')).code, 0);
  chmodSync(join(dir, 'out.jsonl'), 0o600);
  const r = await echo(dir, ['--input', '-', '--resume'], '1\n2\n3\n');
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => x.value), [1, 4, 9]);
  assert.equal(statSync(join(dir, 'out.jsonl')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.bak')), []);
});

test('an output with a hard link is written in place: its other name sees the new output, and no backup is left', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  writeFileSync(out, 'old\n');
  linkSync(out, join(dir, 'other-name.jsonl'));
  const r = await runCli(['run', `${TASKS}#square`, '3', '-o', out, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'other-name.jsonl'), 'utf8'), /"value":9/);
  assert.deepEqual(readdirSync(dir).sort(), ['other-name.jsonl', 'out.jsonl', 'out.jsonl.journal']);
});
