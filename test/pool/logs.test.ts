/** Worker output as whole, tagged lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { fixture, runtime, makePool, poolOptions, onRedis, localOnly } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;


test('worker output arrives as whole lines, in order per worker, never mixed with another worker\'s', async () => {
  const lines: Array<{ workerId: number; text: string; taskId: number | null }> = [];
  await using pool = await makePool(fixture('flaky.mjs'), { ...opts, logs: 'pipe' });
  pool.on('log', (l) => lines.push(l));
  await Promise.all([pool.apply('logLines', ['A', 300]), pool.apply('logLines', ['B', 300])]);
  assert.equal(lines.length, 600);
  for (const tag of ['A', 'B']) {
    const mine = lines.filter((l) => l.text.startsWith(`${tag} `));
    assert.equal(mine.length, 300);
    assert.deepEqual(mine.map((l) => l.text), Array.from({ length: 300 }, (_, i) => `${tag} line ${i} ${'x'.repeat(200)}`));
    assert.equal(new Set(mine.map((l) => l.taskId)).size, 1);
  }
});

test('logs: "inherit" prints lines prefixed with worker and task; "silent" prints nothing', async () => {
  const { spawnSync } = await import('node:child_process');
  // On the backend the child's pool uses this file's nodes.
  const options = await poolOptions(fixture('flaky.mjs'), { processes: 1, runtime });
  const run = (logs: string) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { Pool } from 'forkpool';
    const pool = new Pool(${JSON.stringify(fixture('flaky.mjs').href)}, { ...${JSON.stringify(options)}, logs: ${JSON.stringify(logs)} });
    await pool.apply('writeStderr', ['to stderr']);
    await pool.apply('logLines', ['hello', 1]);
    pool.close(); await pool.join();`], { encoding: 'utf8' });
  const inherit = run('inherit');
  assert.equal(inherit.status, 0, inherit.stderr);
  // One local worker is w1; on the backend the worker is the node that ran the task, either of 2.
  const w = onRedis ? 'w[12]' : 'w1';
  assert.match(inherit.stdout, new RegExp(`^\\[${w} #\\d+\\] hello line 0 x+$`, 'm'));
  assert.match(inherit.stderr, new RegExp(`^\\[${w} #\\d+\\] to stderr$`, 'm'));
  const silent = run('silent');
  assert.equal(silent.stdout + silent.stderr, '');
});

test('a "log" listener added to a "silent" pool after it was created gets the output of its existing workers', { skip: localOnly('the local workers are told to send their output') }, async () => {
  await using pool = await makePool(fixture('log-writes.mjs'), { ...opts, processes: 1 });
  await pool.ready();
  const lines: string[] = [];
  const listener = (l: { workerId: number; text: string }) => lines.push(`w${l.workerId} ${l.text}`);
  pool.on('log', listener);
  await pool.apply('hello', ['a']);
  assert.deepEqual(lines, ['w1 hello a']);
  // The last listener gone, the worker stops sending; a new one makes it start again.
  pool.off('log', listener);
  await pool.apply('hello', ['b']);
  pool.once('log', listener);
  await pool.apply('hello', ['c']);
  pool.removeAllListeners();
  pool.on('log', listener);
  await pool.apply('hello', ['d']);
  assert.deepEqual(lines, ['w1 hello a', 'w1 hello c', 'w1 hello d']);
});

test('worker output is decoded as a terminal shows it: characters split between writes, encodings, typed arrays by their bytes', async () => {
  const lines: string[] = [];
  await using pool = await makePool(fixture('log-writes.mjs'), { ...opts, processes: 1, logs: (l) => lines.push(l.text) });
  await pool.apply('encodedWrites');
  assert.deepEqual(lines, ['€', 'hi!', 'café', 'AA', '', 'view', 'caf\ufffd', '\ufffdend']);
});

test('text written without a newline is a line of its own when its task ends, before its result, never glued to the next task\'s', async () => {
  const lines: Array<{ text: string; taskId: number | null }> = [];
  await using pool = await makePool(fixture('log-writes.mjs'), { ...opts, processes: 1, logs: (l) => lines.push(l) });
  await pool.apply('noNewline', ['first']);
  assert.deepEqual(lines.map((l) => l.text), ['first']);
  await pool.apply('hello', ['second']);
  assert.deepEqual(lines.map((l) => l.text), ['first', 'hello second']);
  assert.notEqual(lines[0]!.taskId, lines[1]!.taskId);
});

test('a task killed for its timeout: the line it left unfinished arrives before its TaskTimeoutError', { skip: localOnly('the worker is killed by the pool that timed it out: on the backend the node does it, and its lines come through Redis') }, async () => {
  const events: string[] = [];
  await using pool = await makePool(fixture('log-writes.mjs'), { ...opts, processes: 1, logs: 'pipe', taskTimeout: 1_000 });
  pool.on('log', (l) => events.push(`log: ${l.text}`));
  await assert.rejects(
    pool.apply('partialThenSpin', ['last words']).finally(() => events.push('settled')),
    { code: 'ERR_FORKPOOL_TASK_TIMEOUT' },
  );
  assert.deepEqual(events, ['log: last words', 'settled']);
  // The pool goes on with a new worker.
  assert.equal(await pool.apply('noNewline', ['x\n']), true);
});
