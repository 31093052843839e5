/**
 * Damaged journal content is always JournalCorruptError with its line number:
 * never a raw SyntaxError or TypeError from deep inside the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journaled } from '../../src/journal/journaled.ts';
import { JournalCorruptError, JournalMismatchError } from '../../src/journal/errors.ts';
import { FakePool, collect } from './fake-pool.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'forkpool-corrupt-'));
const identity = (x: unknown) => x;
const header = (version: number) => JSON.stringify({ forkpool: 'journal', version, task: 't', keying: 'custom', input: null, created: '2024-01-01T00:00:00.000Z' });
const rec = (k: string, fields: Record<string, unknown>) => JSON.stringify({ k, i: Number(k), h: 'x', ok: true, ms: 1, w: 1, ...fields });

/** Writes a journal whose line 3 is `bad`, followed by a good line so it is not the (droppable) last one. */
function journalWith(bad: string, version = 2): string {
  const path = join(tmp(), 'j.journal');
  writeFileSync(path, [header(version), rec('0', { v: 0 }), bad, rec('9', { v: 9 })].join('\n') + '\n');
  return path;
}

const damaged = (line: number) => (err: unknown) =>
  err instanceof JournalCorruptError && (err as JournalCorruptError).line === line && new RegExp(`line ${line}\\b`).test((err as Error).message);

const run = (path: string, items: unknown[] = ['0', '1', '9'], resumeFailed = false) =>
  collect(journaled(new FakePool(identity), 't', items, { journal: path, ordered: true, key: String, resumeFailed }));

const CASES: Record<string, { line: string; version?: number }> = {
  'a line that is not JSON': { line: '{"k":"1",' },
  'a JSON line that is not an object': { line: '[1,2]' },
  'a record whose index is a string': { line: rec('1', { i: 'one', v: 1 }) },
  'a record whose outcome is not a boolean': { line: rec('1', { ok: 'yes', v: 1 }) },
  'a record without its key': { line: JSON.stringify({ i: 1, h: 'x', ok: true, v: 1, ms: 1, w: 1 }) },
  'a success record without a value': { line: rec('1', {}) },
  'a failure record whose error is null': { line: rec('1', { ok: false, e: null }) },
  'a record with non-base64 V8 bytes': { line: rec('1', { x: 'not base64!' }) },
  'a record with V8 bytes that do not deserialize': { line: rec('1', { x: Buffer.from('garbage').toString('base64') }) },
  'a failure record whose props are null': { line: rec('1', { ok: false, e: { name: 'Error', message: 'm', props: null } }) },
  'a failure record whose message is a number': { line: rec('1', { ok: false, e: { name: 'Error', message: 5 } }) },
  'a version-1 record with an unknown $fp tag': { line: rec('1', { v: { $fp: 'Frobnicator', v: 1 } }), version: 1 },
  'a version-1 record with a bad bigint tag': { line: rec('1', { v: { $fp: 'bigint', v: 'abc' } }), version: 1 },
  'a version-1 record with a malformed Map tag': { line: rec('1', { v: { $fp: 'Map', v: 5 } }), version: 1 },
  'a version-1 record with a nested bad Date tag': { line: rec('1', { v: { a: [{ $fp: 'Date', v: 'never' }] } }), version: 1 },
};

for (const [what, { line, version }] of Object.entries(CASES)) {
  test(`${what} is reported as JournalCorruptError at its line`, async () => {
    const path = journalWith(line, version);
    const before = readFileSync(path, 'utf8');
    await assert.rejects(run(path), damaged(3));
    assert.equal(readFileSync(path, 'utf8'), before, 'a damaged journal is not modified');
  });
}

test('a damaged or ill-typed last line is dropped as torn, and its item runs again', async () => {
  for (const last of ['{"k":"1","i":1,"h":"x","ok":tr', rec('1', { ok: 'yes' })]) {
    const path = join(tmp(), 'j.journal');
    writeFileSync(path, `${header(2)}\n${rec('0', { v: 0 })}\n${last}\n`);
    const pool = new FakePool(identity);
    const out = await collect(journaled(pool, 't', ['0', '1'], { journal: path, ordered: true, key: String }));
    assert.deepEqual(pool.calls, ['1']);
    assert.deepEqual(out.map((s) => s.ok && s.value), [0, '1']);
  }
});

test('a header with an ill-typed field is reported as damage at line 1', async () => {
  const path = join(tmp(), 'j.journal');
  writeFileSync(path, `${JSON.stringify({ forkpool: 'journal', version: 2, task: 7, keying: 'custom', input: null })}\n`);
  await assert.rejects(run(path, ['0']), damaged(1));
});

test('a journal written by a newer forkpool is refused as a mismatch naming both versions', async () => {
  const path = join(tmp(), 'j.journal');
  writeFileSync(path, `${header(3)}\n`);
  await assert.rejects(run(path, ['0']), (err: Error) => err instanceof JournalMismatchError && /version 3/.test(err.message) && /1 to 2/.test(err.message));
});
