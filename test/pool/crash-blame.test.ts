// What a crash's error says it was running. A chunk without an item log
// cannot tell which of its items killed the worker: the error names the
// chunk's items and says so, rather than let the chunk's first item (where
// imap throws) look like the culprit. With an item log (retries here), the
// error names the one item. Every death is a real process.exit of the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskTimeoutError, WorkerCrashedError } from 'forkpool';
import { executions, fixture, localOnly, makePool, runtime } from '../helpers.ts';

const opts = { processes: 2, runtime, logs: 'silent' } as const;
const LOCAL = localOnly('a node logs its job\'s chunk and names no position in the caller\'s input');
const N = 200;
const AT = 130;

function items(): { n: number; at: number; file: string }[] {
  const file = join(mkdtempSync(join(tmpdir(), 'forkpool-blame-')), 'runs.txt');
  return Array.from({ length: N }, (_, n) => ({ n, at: AT, file }));
}

test('map: a crash in an unlogged chunk names the chunk\'s items and says the item is not known', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const err = await pool.map('countedExitAt', items(), { chunksize: 25 }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, /while running items at indices 125–149, one chunk \(which item, the pool cannot tell: chunksize 1, retries or imapSettled would name it\)/);
});

test('imap: the error thrown at the crashed chunk\'s first item names the whole chunk, not that item', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  let seen = 0;
  const err = await (async () => {
    for await (const v of pool.imap('countedExitAt', items(), { chunksize: 25 })) { assert.equal(v, seen); seen++; }
  })().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.equal(seen, 125, 'imap yields every item before the crashed chunk');
  assert.match(err.message, /while running items at indices 125–149, one chunk/);
});

test('map with retries: the item log pins the crash on its item, and the error names it', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, retries: 1 });
  const list = items();
  const err = await pool.map('countedExitAt', list, { chunksize: 25 }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, new RegExp(`while running the item at index ${AT} \\(2 attempts`));
  assert.equal(executions(list[0]!.file).get(AT), 2, 'the crashing item ran once per attempt');
});

test('a single call still says "the task"', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), opts);
  const [one] = items().slice(AT, AT + 1);
  const err = await pool.apply('countedExitAt', [one]).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, /exited with code 1 while running the task$/);
});

test('map with a timeout: an item past it names its chunk, or the chunk under one clock with an explicit chunksize', { skip: LOCAL }, async () => {
  await using pool = await makePool(fixture('item-clock.mjs'), { ...opts, taskTimeout: 400 });
  const list = Array.from({ length: N }, (_, x) => ({ x, at: AT }));
  const grown = await pool.map('stuckAtItem', list).then(() => undefined, (e: unknown) => e);
  assert.ok(grown instanceof TaskTimeoutError, String(grown));
  const m = /^One of the items at indices (\d+)–(\d+), one chunk \(which item, the pool cannot tell: .*\) ran longer than its timeout of 400 ms/.exec(grown.message);
  assert.ok(m, grown.message);
  assert.ok(Number(m[1]) <= AT && AT <= Number(m[2]), grown.message);
  const fixed = await pool.map('stuckAtItem', list, { chunksize: 25 }).then(() => undefined, (e: unknown) => e);
  assert.ok(fixed instanceof TaskTimeoutError, String(fixed));
  assert.match(fixed.message, /^Items at indices 125–149, one chunk, under one clock \(the timeout covered the whole chunk\), ran longer than its timeout of 400 ms/);
});
