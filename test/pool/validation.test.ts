import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, UnknownTaskError, PoolClosedError, InvalidStateError } from 'forkpool';
import type * as basic from '../fixtures/basic.ts';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

const opts = { processes: 1, runtime, logs: 'silent' } as const;

test('an unknown task name rejects with UnknownTaskError listing the module\'s exports', async () => {
  await using pool = await makePool(fixture('basic.ts'), opts);
  // Before the workers report their exports, and after.
  const early = pool.apply('nope');
  await assert.rejects(early, (e) => e instanceof UnknownTaskError && /"double"/.test((e as Error).message) && (e as UnknownTaskError).code === 'ERR_FORKPOOL_UNKNOWN_TASK');
  const late = await pool.apply('alsoNope').catch((e) => e);
  assert.ok(late instanceof UnknownTaskError);
  assert.ok(late.exports.includes('double'));
});

test('chunksize below 1 or not an integer is a RangeError naming the value', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.map('double', [1], { chunksize: 0 }), { name: 'RangeError', message: 'Expected `chunksize` to be a positive integer, got 0' });
  assert.throws(() => pool.map('double', [1], { chunksize: 1.5 }), RangeError);
  assert.throws(() => pool.imap('double', [1], { chunksize: -1 }), RangeError);
});

test('bad pool options are caught at construction with the option named', { skip: localOnly('checks of local options at construction, before any engine; the backend\'s are in test/cluster/options.test.ts') }, () => {
  assert.throws(() => new Pool(fixture('basic.ts'), { processes: 0 }), { name: 'RangeError', message: /`processes`.*got 0/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { processes: 2.5 }), RangeError);
  assert.throws(() => new Pool(fixture('basic.ts'), { runtime: 'fiber' as never }), { name: 'TypeError', message: /`runtime`.*"fiber"/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { maxMemory: 'lots' }), { name: 'RangeError', message: /`maxMemory`.*"lots"/ });
  assert.throws(() => new Pool(fixture('basic.ts'), { procesess: 2 } as never), { name: 'TypeError', message: /Unknown pool option `procesess`/ });
  assert.throws(() => new Pool(fixture('does-not-exist.mjs')), { name: 'TypeError', message: /does not exist/ });
  assert.throws(() => new Pool(42 as never), TypeError);
});

test('a `cwd` that does not exist or is not a directory is a TypeError naming it, at construction', { skip: localOnly('a local option; the backend refuses `cwd` whatever its value') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-cwd-'));
  const missing = join(dir, 'missing');
  const file = join(dir, 'file');
  writeFileSync(file, '');
  // The process runtime used to break the pool later with "spawn /usr/bin/node ENOENT", blaming node;
  // the thread runtime ignores `cwd` but checks it alike.
  const refused = (path: string, why: RegExp) => (e: unknown) =>
    e instanceof TypeError && (e as { code?: unknown }).code === 'ERR_FORKPOOL_INVALID_ARG'
    && e.message.includes(`\`cwd\``) && e.message.includes(JSON.stringify(path)) && why.test(e.message);
  assert.throws(() => new Pool(fixture('basic.ts'), { ...opts, cwd: missing }), refused(missing, /does not exist/));
  assert.throws(() => new Pool(fixture('basic.ts'), { ...opts, cwd: join(file, 'below') }), refused(join(file, 'below'), /does not exist/));
  assert.throws(() => new Pool(fixture('basic.ts'), { ...opts, cwd: file }), refused(file, /not a directory/));
  await using pool = new Pool<typeof basic>(fixture('basic.ts'), { ...opts, cwd: dir });
  assert.equal(await pool.apply('double', [2]), 4);
});

test('a relative `cwd` is taken from process.cwd() at construction: a later chdir does not move replacement workers', { skip: localOnly('a local option') || (runtime === 'thread' && 'threads share this process\'s working directory') }, async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fp-cwd-rel-')));
  mkdirSync(join(dir, 'sub'));
  const before = process.cwd();
  process.chdir(dir);
  let pool: Pool<typeof basic>;
  try {
    pool = new Pool<typeof basic>(fixture('basic.ts'), { ...opts, processes: 1, maxTasksPerChild: 1, cwd: 'sub' });
  } finally {
    process.chdir(before);
  }
  // Each call on a new worker: the second is spawned after the chdir back.
  assert.deepEqual([await pool.apply('cwd'), await pool.apply('cwd')], [join(dir, 'sub'), join(dir, 'sub')]);
  pool.close();
  await pool.join();
});

test('bad call arguments are caught at the call', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.applyAsync('' as never), TypeError);
  assert.throws(() => pool.applyAsync('double', 5 as never), { name: 'TypeError', message: /`args`/ });
  assert.throws(() => pool.map('double', 5 as never), { name: 'TypeError', message: /iterable/ });
  assert.throws(() => pool.apply('double', [1], { timeout: 0 }), { name: 'RangeError', message: /`timeout`/ });
  assert.throws(() => pool.starmap('add', [5] as never), TypeError);
});

test('an unknown per-call option is a TypeError naming it and the method, not silently ignored', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const unknown = (key: string, method: string) => ({ name: 'TypeError', message: new RegExp(`^Unknown option \`${key}\` for ${method}\\(\\) \\(known options: `) });
  // A typo would have run with no timeout at all.
  assert.throws(() => pool.apply('double', [1], { timout: 100 } as never), { name: 'TypeError', message: /Unknown option `timout` for apply\(\) \(known options: timeout, signal, waitForSpace, transfer, callback, errorCallback\)/ });
  assert.throws(() => pool.applyAsync('double', [1], { chunksize: 2 } as never), unknown('chunksize', 'applyAsync'));
  assert.throws(() => pool.map('double', [1], { readAhead: 4 } as never), unknown('readAhead', 'map'));
  // A pool option is not a per-call one.
  assert.throws(() => pool.starmap('add', [[1, 2]], { retries: 2 } as never), unknown('retries', 'starmap'));
  // `transfer` outside a single call says why.
  assert.throws(() => pool.imap('double', [1], { transfer: [] } as never), { name: 'TypeError', message: /apply and applyAsync only/ });
  assert.throws(() => pool.mapAsync('double', [1], { ordered: true } as never), unknown('ordered', 'mapAsync'));
  assert.throws(() => pool.starmapAsync('add', [[1, 2]], { spread: true } as never), unknown('spread', 'starmapAsync'));
  assert.throws(() => pool.imap('double', [1], { ordered: true } as never), unknown('ordered', 'imap'));
  assert.throws(() => pool.imapUnordered('double', [1], { spread: true } as never), unknown('spread', 'imapUnordered'));
  assert.throws(() => pool.imapSettled('double', [1], { journalmode: 'resume' } as never), unknown('journalmode', 'imapSettled'));
  // How the journal names jobs is not an option a caller can set by name.
  assert.throws(() => pool.imapSettled('double', [1], { run: 'r1' } as never), unknown('run', 'imapSettled'));
  assert.throws(() => pool.imapSettled('double', [1], { keyOf: () => 'k' } as never), unknown('keyOf', 'imapSettled'));
  // What each method documents still passes, and nothing was submitted by the refused calls.
  assert.equal(await pool.apply('double', [2], { timeout: 30_000, waitForSpace: false }), 4);
  assert.deepEqual(await pool.map('double', [1, 2], { chunksize: 1, timeout: 30_000 }), [2, 4]);
  assert.deepEqual(await pool.mapAsync('double', [3], { callback: () => {} }), [6]);
  const seen: unknown[] = [];
  for await (const s of pool.imapSettled('double', [5], { ordered: true, readAhead: 4, spread: false })) seen.push(s.ok && s.value);
  assert.deepEqual(seen, [10]);
  assert.equal(pool.stats().completed, 5, 'one apply, two map items, one mapAsync item, one imapSettled item');
});

test('mapAsync and starmapAsync honour a journal: the callback gets the results, and a rerun reads them back', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  const journal = join(mkdtempSync(join(tmpdir(), 'fp-mapasync-journal-')), 'run.journal');
  let called: unknown;
  assert.deepEqual(await pool.mapAsync('double', [1, 2, 3], { journal, callback: (v) => { called = v; } }), [2, 4, 6]);
  assert.deepEqual(called, [2, 4, 6]);
  assert.equal(readFileSync(journal, 'utf8').trim().split('\n').length, 4, 'a header and one record per item');
  const before = pool.stats().completed;
  assert.deepEqual(await pool.mapAsync('double', [1, 2, 3], { journal }), [2, 4, 6]);
  assert.equal(pool.stats().completed, before, 'the rerun ran nothing');
  const starJournal = journal + '.star';
  assert.deepEqual(await pool.starmapAsync('add', [[1, 2], [3, 4]], { journal: starJournal }), [3, 7]);
  assert.equal(readFileSync(starJournal, 'utf8').trim().split('\n').length, 3);
});

test('a call after close() rejects with PoolClosedError', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  pool.close();
  await assert.rejects(pool.apply('double', [1]), (e) => e instanceof PoolClosedError && (e as PoolClosedError).code === 'ERR_FORKPOOL_POOL_CLOSED');
  await pool.join();
});

test('join() before close() or terminate() is an error, as in Python', async () => {
  const pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  await assert.rejects(pool.join(), InvalidStateError);
  await pool.terminate();
});

test('boolean call options that are not true or false are a TypeError naming the option and the value', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.imapSettled('double', [1], { ordered: 'yes' as never }), { name: 'TypeError', message: /`ordered` of imapSettled\(\) to be true or false, got "yes"/ });
  assert.throws(() => pool.imapSettled('double', [[1]], { spread: 1 as never }), { name: 'TypeError', message: /`spread`.*got 1/ });
  assert.throws(() => pool.applyAsync('double', [1], { waitForSpace: 'true' as never }), { name: 'TypeError', message: /`waitForSpace` of applyAsync\(\)/ });
  const ordered: number[] = [];
  for await (const s of pool.imapSettled('double', [1, 2, 3], { ordered: true })) ordered.push(s.value as number);
  assert.deepEqual(ordered, [2, 4, 6]);
});

test('apply and applyAsync refuse args that are not an array, null included (it most likely meant [null]); undefined means no arguments', async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), opts);
  assert.throws(() => pool.apply('echo', null as never), { name: 'TypeError', message: /array of arguments, got null \(to pass null as the argument, write \[null\]\)/ });
  assert.throws(() => pool.applyAsync('echo', 5 as never), { name: 'TypeError', message: /array of arguments, got 5$/ });
  assert.equal(await pool.apply('echo', [null]), null);
  assert.equal(await pool.apply('noop'), undefined);
});
