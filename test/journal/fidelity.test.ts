/**
 * Results read back from a journal equal the original run's, value for value,
 * for everything a real pool can return (it moves values with V8
 * serialization), under both runtimes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'forkpool';
import { journaled, type JournaledItem, type JournalPool } from '../../src/journal/journaled.ts';
import { collect } from './fake-pool.ts';

const ODD = new URL('../fixtures/journal/odd-values.mjs', import.meta.url);
const KINDS = [
  'plain', 'buffer', 'bytes', 'float64', 'arraybuffer', 'regexp', 'error', 'holes', 'cycle', 'shared',
  'invalid-date', 'date', 'bigint', 'map', 'set', 'undefined', 'nan', 'tag-lookalike', 'proto-key', 'nested-buffer',
];
const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-fidelity-'));
const byIndex = (items: JournaledItem[]) => [...items].sort((a, b) => a.index - b.index);
const records = (path: string) => readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l));

async function withPool<T>(runtime: 'process' | 'thread', fn: (pool: JournalPool) => Promise<T>): Promise<T> {
  await using pool = new Pool(ODD, { processes: 2, runtime, logs: 'silent' });
  return await fn(pool as unknown as JournalPool); // await: the pool is disposed when this scope ends
}

/** Checks what deepStrictEqual does not: sharing and cycles survive as references. */
function assertSameShape(kind: string, original: unknown, resumed: unknown): void {
  if (kind === 'invalid-date') {
    // deepStrictEqual calls two invalid Dates different (NaN !== NaN): check it by hand.
    assert.ok(resumed instanceof Date && original instanceof Date && Number.isNaN(resumed.getTime()) && Number.isNaN(original.getTime()));
    return;
  }
  try {
    assert.deepStrictEqual(resumed, original, `${kind} differs after resume`);
  } catch (err) {
    // Without actual/expected: the TAP reporter itself throws on an invalid Date in them.
    throw new Error((err as Error).message);
  }
  if (typeof original === 'object' && original !== null) {
    assert.equal(Object.getPrototypeOf(resumed), Object.getPrototypeOf(original), `${kind} has another class after resume`);
  }
  if (kind === 'shared') assert.equal((resumed as object[])[0], (resumed as object[])[1], 'a shared object stays shared');
  if (kind === 'cycle') assert.equal((resumed as { self: unknown }).self, resumed, 'a cycle stays a cycle');
  if (kind === 'holes') assert.equal(1 in (resumed as unknown[]), false, 'a hole stays a hole');
}

for (const runtime of ['process', 'thread'] as const) {
  test(`every value a ${runtime} pool returns comes back from the journal equal to the original`, async () => {
    const journal = join(tmp(), 'j.journal');
    const first = byIndex(await withPool(runtime, (pool) => collect(journaled(pool, 'make', KINDS, { journal, ordered: false }))));
    assert.ok(first.every((s) => s.ok), `the first run failed: ${first.filter((s) => !s.ok).map((s) => !s.ok && s.error.message)}`);
    const resumed = byIndex(await withPool(runtime, (pool) => collect(journaled(pool, 'make', KINDS, { journal, ordered: false }))));
    assert.ok(resumed.every((s) => s.fromJournal), 'every item came from the journal');
    for (const [i, kind] of KINDS.entries()) {
      assertSameShape(kind, first[i]!.ok && first[i]!.value, resumed[i]!.ok && resumed[i]!.value);
    }
  });
}

test('a Buffer returned by the process runtime comes back from the journal as a Buffer, not a Uint8Array', async () => {
  const journal = join(tmp(), 'j.journal');
  await withPool('process', (pool) => collect(journaled(pool, 'make', ['buffer', 'nested-buffer'], { journal, ordered: true })));
  const [buf, nested] = await withPool('process', (pool) => collect(journaled(pool, 'make', ['buffer', 'nested-buffer'], { journal, ordered: true })));
  assert.ok(buf!.ok && Buffer.isBuffer(buf!.value) && buf!.value.toString() === 'bytes');
  assert.ok(nested!.ok && Buffer.isBuffer((nested!.value as { body: unknown }).body));
});

test('one item returning an invalid Date is recorded like any other and does not fail the run', async () => {
  const journal = join(tmp(), 'j.journal');
  const out = await withPool('process', (pool) => collect(journaled(pool, 'make', ['plain', 'invalid-date', 'plain'], { journal, ordered: true })));
  assert.deepEqual(out.map((s) => s.ok), [true, true, true]);
  assert.equal(records(journal).length, 3);
  const again = await withPool('process', (pool) => collect(journaled(pool, 'make', ['plain', 'invalid-date', 'plain'], { journal, ordered: true })));
  const date = again[1]!.ok ? again[1]!.value : undefined;
  assert.ok(date instanceof Date && Number.isNaN(date.getTime()));
});

test('plain JSON results stay human-readable in the journal; only the others are stored as V8 bytes', async () => {
  const journal = join(tmp(), 'j.journal');
  await withPool('process', (pool) => collect(journaled(pool, 'make', ['plain', 'buffer', 'tag-lookalike'], { journal, ordered: true })));
  const byItem = new Map(records(journal).map((r) => [r.i, r]));
  assert.deepEqual(byItem.get(0).v, { title: 'Home', tags: ['a', 'b'], n: 1.5, ok: true, none: null });
  assert.equal(byItem.get(0).x, undefined);
  assert.equal(typeof byItem.get(1).x, 'string', 'a Buffer is stored as V8 bytes in "x"');
  assert.equal(typeof byItem.get(2).x, 'string', 'an object holding the reserved "$fp" key is never stored as plain JSON');
});

test('errors thrown by tasks come back from the journal with the same class, message, own properties, cause and an AggregateError\'s errors', async () => {
  const journal = join(tmp(), 'j.journal');
  const kinds = ['props', 'non-error', 'TypeError', 'aggregate'];
  const first = await withPool('process', (pool) => collect(journaled(pool, 'fail', kinds, { journal, ordered: true })));
  const again = await withPool('process', (pool) => collect(journaled(pool, 'fail', kinds, { journal, ordered: true, resumeFailed: false })));
  assert.ok(again.every((s) => s.fromJournal && !s.ok));
  for (const [i, kind] of kinds.entries()) {
    const a = first[i]!.ok ? assert.fail() : first[i]!.error;
    const b = again[i]!.ok ? assert.fail() : again[i]!.error;
    // By name: the error classes rebuilt here come from src/, the pool's from dist/.
    assert.equal(b.constructor.name, a.constructor.name, `${kind}: class`);
    assert.equal(b.name, a.name, `${kind}: name`);
    assert.equal(b.message, a.message, `${kind}: message`);
    assert.deepStrictEqual({ ...b }, { ...a }, `${kind}: own properties`);
    assert.deepStrictEqual(b.cause, a.cause, `${kind}: cause`);
    assert.deepStrictEqual((b as { errors?: unknown }).errors, (a as { errors?: unknown }).errors, `${kind}: errors`);
  }
  const agg = again[3]!.ok ? assert.fail() : again[3]!.error as AggregateError;
  assert.equal(agg.constructor.name, 'AggregateError');
  assert.equal(agg.errors[0].constructor.name, 'TypeError');
  assert.equal(agg.errors[0].message, 'first');
  assert.equal(agg.errors[1], 'second');
  const props = records(journal).find((r) => r.i === 0);
  assert.equal(props.e.message, 'with props', 'an error with odd properties keeps a readable message beside its V8 bytes');
  assert.equal(typeof props.ex, 'string');
});

test('an error named like an Object.prototype member (toString, constructor, __proto__) is rebuilt from the journal as a plain Error with that name', async () => {
  const journal = join(tmp(), 'j.journal');
  const names = ['toString', 'constructor', '__proto__', 'hasOwnProperty'];
  await withPool('process', (pool) => collect(journaled(pool, 'fail', names, { journal, ordered: true })));
  const again = await withPool('process', (pool) => collect(journaled(pool, 'fail', names, { journal, ordered: true, resumeFailed: false })));
  for (const [i, name] of names.entries()) {
    const s = again[i]!;
    assert.ok(s.fromJournal && !s.ok, `${name}: from the journal, failed`);
    assert.ok(s.error instanceof Error, `${name}: an Error`);
    assert.equal(s.error.name, name);
    assert.equal(s.error.message, `named ${name}`);
  }
});

test('pool.map with a journal returns the same values on a resumed run as on the first', async () => {
  const journal = join(tmp(), 'j.journal');
  const kinds = ['plain', 'buffer', 'holes', 'cycle', 'bigint', 'invalid-date'];
  await using pool = new Pool(ODD, { processes: 2, logs: 'silent' });
  const first = await pool.map('make' as never, kinds as never, { journal }) as unknown[];
  const again = await pool.map('make' as never, kinds as never, { journal }) as unknown[];
  for (const [i, kind] of kinds.entries()) assertSameShape(kind, first[i], again[i]);
  assert.ok(Buffer.isBuffer(again[1]));
});
