import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress } from '../../dist/cli/progress.js';
import { RunStats } from '../../dist/cli/run-stats.js';
import { runCli, TASKS, tmp } from './helpers.js';

function fakeTerminal(): { out: NodeJS.WriteStream; text: () => string } {
  let buf = '';
  const out = { columns: 120, isTTY: true, write(s: string) { buf += s; return true; } } as unknown as NodeJS.WriteStream;
  return { out, text: () => buf };
}

test('the bar redraws in place on one line (\\r and clear-line, no cursor-up), and a log line never lands on it', () => {
  const stats = new RunStats();
  stats.total = 400;
  const term = fakeTerminal();
  const bar = createProgress('bar', { stats, workers: () => [], running: () => 0 }, term.out);
  bar.start();
  bar.log('[worker 1] hello');
  bar.aboveBar(() => term.out.write('a result\n'));
  bar.stop();
  bar.stop();
  const text = term.text();
  assert.doesNotMatch(text, /\x1b\[\d*[AJ]/, 'no cursor-up or clear-screen sequences');
  assert.match(text, /\r\x1b\[2K\[worker 1\] hello\n/);
  assert.match(text, /\r\x1b\[2Ka result\n/);
  assert.ok(text.endsWith('\n'), 'after stop, the next output starts on its own line');
  assert.doesNotMatch(text, /ETA 0\.00ms/);
  assert.match(text, /0 workers, 0 running/);
});

test('an interrupted run reports "N of M items", and one item is "1 item"', async () => {
  const one = await runCli(['run', `${TASKS}#square`, '1']);
  assert.match(one.stderr, /Done: 1 item in /);
});

test('the report never has more worker slots than -j, even when workers are replaced', async () => {
  const dir = tmp();
  const report = join(dir, 'r.html');
  const items = Array.from({ length: 60 }, (_, i) => String(i));
  const r = await runCli(['run', `${TASKS}#square`, ...items, '-j', '2', '--chunksize', '1', '--max-tasks-per-child', '1', '--report', report, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const slots = new Set(readFileSync(report, 'utf8').match(/>slot \d+</g));
  assert.deepEqual([...slots].sort(), ['>slot 1<', '>slot 2<']);
});

test('a syntax error in the task module names the file, line and column', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.mjs'), 'export function f(x) {\n  return x +;\n}\n');
  writeFileSync(join(dir, 'bad.ts'), 'export function f(x: number): number {\n  const y = ;\n  return x;\n}\n');
  const js = await runCli(['run', 'bad.mjs#f', '1'], { cwd: dir });
  assert.equal(js.code, 255);
  assert.match(js.stderr, /SyntaxError: Unexpected token ';' at bad\.mjs:2:13\n$/);
  const ts = await runCli(['run', 'bad.ts#f', '1'], { cwd: dir });
  assert.equal(ts.code, 255);
  assert.match(ts.stderr, /SyntaxError: Unexpected ";" at bad\.ts:2:12\n$/);
});
