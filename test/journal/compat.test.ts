/** Journals written in format version 1 (values as `$fp` tag trees) still resume, value for value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { FakePool, collect } from './fake-pool.ts';

const V1 = new URL('../fixtures/journal/v1-odd-values.jsonl', import.meta.url);
const KEYS = ['date', 'bigint', 'map', 'set', 'nan', 'negzero', 'undef', 'lookalike', 'bytes', 'plain', 'failed'];
const EXPECTED: unknown[] = [
  new Date(5), 10n, new Map([[1, 'a']]), new Set([2]), NaN, -0, undefined,
  { $fp: 'x', n: [1, { $fp: 'y' }] }, new Uint8Array([1, 2]), { a: [1, 'b', null] },
];

test('a version-1 journal resumes: its recorded values come back as they were, and new records are appended', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'forkpool-compat-')), 'j.journal');
  copyFileSync(V1, path);
  const pool = new FakePool(() => Buffer.from('new'));
  const items = [...KEYS, 'fresh'];
  const opts = { journal: path, ordered: true, key: String, resumeFailed: false } as const;
  const out = await collect(journaled(pool, 'pick', items, opts));
  assert.deepEqual(pool.calls, ['fresh']);
  assert.deepStrictEqual(out.slice(0, EXPECTED.length).map((s) => s.ok && s.value), EXPECTED);
  const failed = out[KEYS.indexOf('failed')]!;
  assert.ok(!failed.ok && failed.error instanceof RangeError && failed.error.message === 'too big');
  assert.deepStrictEqual((failed.error as unknown as { when: Date }).when, new Date(7));
  const appended = JSON.parse(readFileSync(path, 'utf8').trim().split('\n').at(-1)!);
  assert.equal(appended.k, 'fresh');

  const again = await collect(journaled(new FakePool(() => assert.fail('must not run')), 'pick', items, opts));
  assert.ok(again.every((s) => s.fromJournal));
  const fresh = again.at(-1)!;
  assert.ok(fresh.ok && Buffer.isBuffer(fresh.value) && fresh.value.toString() === 'new', 'a record appended to a version-1 journal keeps its Buffer');
});

// Journals written by earlier versions keep resuming only if every item hashes
// as it did. These digests were computed by the hash-per-token implementation
// that the single-update one (fingerprint.ts TextHash) replaced.
test('item hashes are those of earlier versions, bytes and lone surrogates included', async () => {
  const { itemHash } = await import('../../src/journal/fingerprint.ts');
  const pinned: Array<[unknown, string]> = [
    [1, 'e555f029c125'], [-0, '00d7680418e0'], ['x', 'fb50e14d0e16'], ['\uD83D', '08d8ed625f61'],
    [['\uD83D', '\uDE00'], '818818eb5755'], [{ b: 2, a: [1, 'two', null, undefined] }, 'df36d5a6df34'],
    [new Map([[1, new Set(['a'])]]), '269296ff02c1'], [new Date(0), '4a7da2d3ee4c'], [new Uint8Array([1, 2, 3]), 'd01d97f51a40'],
    [[new Uint8Array([9]), 'after', { u: new Uint8Array(0) }], 'df126978885f'], [10n, '501f9e7a32e1'], [true, 'c2c53d669482'], ['héllo ✓', 'e096285ab1d7'],
  ];
  for (const [value, hash] of pinned) assert.equal(itemHash(value), hash, `hash of ${String(value)}`);
});

test('an item nested 100,000 deep hashes without overflowing the stack; a cycle and a shared part hash as before', async () => {
  const { itemHash } = await import('../../src/journal/fingerprint.ts');
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = i % 3 ? [deep] : { k: new Map([[i, deep]]) };
  assert.match(itemHash(deep), /^[0-9a-f]{12}$/);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = [cyclic];
  const shared = { k: 1 };
  assert.equal(itemHash(cyclic), 'cd32e5728b86');
  assert.equal(itemHash([shared, shared]), 'b02be980b73a');
});
