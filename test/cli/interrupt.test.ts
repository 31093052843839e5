import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, runCli, startCli, finish, TASKS, tmp, jsonLines } from './helpers.js';

/** Resolves when a line of the stream matches. */
function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stream });
    rl.on('line', (line) => { if (pattern.test(line)) { resolve(line); rl.close(); stream.resume(); } }); // close() pauses the stream: keep it flowing for finish()
    rl.on('close', () => reject(new Error(`stream ended before a line matched ${pattern}`)));
  });
}

function journalIsValid(path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the journal ends with a whole line');
  for (const l of lines) JSON.parse(l);
  return lines.length - 1;
}

test('Ctrl-C stops taking items, lets running ones finish, keeps the journal, and prints how to resume', async () => {
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  const items = Array(40).fill('300');
  const args = ['run', `${TASKS}#sleepy`, ...items, '-j', '2', '--chunksize', '1', '--journal', journal];
  const child: ChildProcess = startCli([...args, '-o', '-']);
  const done = finish(child);
  await waitForLine(child.stdout!, /"ok":true/); // a first result is out: the run is under way
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /Stopping: no new items/);
  assert.match(r.stderr, /Interrupted: \d+ of 40 items/);
  assert.match(r.stderr, /To continue where this run stopped:\n\s+forkpool run .* --resume/);
  const outputs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(outputs.length < 40, `${outputs.length} items ran`);
  assert.ok(outputs.every((o) => o.ok), 'running items were let finish, not killed');
  assert.equal(journalIsValid(journal), outputs.length);

  const out = join(dir, 'out.jsonl');
  const resumed = await runCli([...args, '-o', out, '--resume', '--json-summary']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout.trim());
  assert.equal(summary.fromJournal, outputs.length);
  assert.equal(summary.ran, 40 - outputs.length);
  assert.equal(jsonLines(out).length, 40);
});

test('a second Ctrl-C stops at once, and the journal is still valid', async () => {
  const dir = tmp();
  const journal = join(dir, 'j.journal');
  const items = ['50', '50', '50', '50', '20000', '20000', '20000'];
  const child = startCli(['run', `${TASKS}#sleepy`, ...items, '-j', '2', '--chunksize', '1', '--journal', journal, '-o', '-', '--progress']);
  const done = finish(child);
  await waitForLine(child.stdout!, /"ok":true/);
  const started = Date.now();
  child.kill('SIGINT');
  await waitForLine(child.stderr!, /Stopping: no new items/);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.ok(Date.now() - started < 10_000, 'it did not wait for the 20 s items');
  assert.match(r.stderr, /\nStopped at once\. The journal is valid/);
  assert.match(r.stderr, /To continue where this run stopped:\n\s+forkpool run .* --resume\n$/, 'the resume hint is the last thing printed, with its newline');
  assert.ok(journalIsValid(journal) >= 1);
});

test('Ctrl-C ends a run whose stdin producer has gone quiet (tail -f): exit 130 without waiting for another line', { timeout: 30_000 }, async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const child = spawn(process.execPath, [CLI, 'run', `${TASKS}#square`, '--input', '-', '-o', out], { stdio: ['pipe', 'ignore', 'pipe'] });
  const done = finish(child);
  // Two items, and the pipe stays open: the runner waits for a third that never comes.
  child.stdin!.write('2\n3\n');
  // Both results are out (the output is written as they arrive): the runner is now only waiting for input.
  for (let i = 0; i < 200 && !(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 2); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  const r = await done;
  child.stdin!.destroy();
  assert.equal(r.code, 130, r.stderr);
  // Without -k results come in the order they finish.
  assert.deepEqual(jsonLines(out).map((o) => o.value as number).sort((a, b) => a - b), [4, 9]);
});

test('a --delay beyond 24.8 days (the limit of a Node timer) is honoured, and Ctrl-C ends the wait for it', { timeout: 30_000 }, async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  // Before: Node clamped the 600 h wait to 1 ms, and all three items ran at once.
  const child = startCli(['run', `${TASKS}#square`, '2', '3', '4', '--delay', '600h', '-o', out]);
  const done = finish(child);
  for (let i = 0; i < 200 && !(existsSync(out) && readFileSync(out, 'utf8').length > 0); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(jsonLines(out).map((o) => o.value), [4], 'the second item still waits for its turn');
});

test('SIGHUP (a closed terminal) stops the run as Ctrl-C does: exit 130, the previous output replaced, no backup or lock left', async () => {
  const dir = tmp();
  const out = join(dir, 'out.jsonl');
  const base = ['run', `${TASKS}#sleepy`, ...Array(40).fill('300'), '-j', '2', '--chunksize', '1', '-o', out];
  const first = await runCli(['run', `${TASKS}#square`, '1', '-o', out, '-q']);
  assert.equal(first.code, 0, first.stderr);
  const child: ChildProcess = startCli([...base, '--force', '--progress']);
  const done = finish(child);
  await waitForLine(child.stderr!, /Stopping|\d+\/40|items/); // the run is under way
  await new Promise((r) => setTimeout(r, 800));
  child.kill('SIGHUP');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  const left = readdirSync(dir).sort();
  assert.deepEqual(left, ['out.jsonl', 'out.jsonl.journal'], `left: ${left.join(', ')}`);
  assert.ok(jsonLines(out).every((o) => o.input === '300'), 'the output is this run\'s');
});
