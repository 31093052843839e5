import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SYNC_GROUP } from '../../src/journal/journal-file.ts';

const JOURNAL_FILE = new URL('../../src/journal/journal-file.ts', import.meta.url).href;

// The child appends records as fast as it can and reports each accepted one;
// the parent SIGKILLs it mid-stream. Records held in the child's memory die
// with it, so this measures exactly the documented loss bound.
const CHILD = `
  const { JournalFile } = await import(${JSON.stringify(JOURNAL_FILE)});
  const j = await JournalFile.open(process.argv[1], { task: 't', keying: 'default', input: null }, 'overwrite');
  for (let i = 0; ; i++) {
    await j.append({ k: i + ':x', i, h: 'x', ok: true, v: i, ms: 0, w: 1 });
    process.stdout.write(i + 1 + '\\n');
  }
`;

test(`a process killed while appending loses at most SYNC_GROUP (${SYNC_GROUP}) accepted records, and the journal stays valid`, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'forkpool-durable-')), 'j.journal');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killAt = 1000 + Math.floor(Math.random() * 2000);
  let accepted = 0;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for await (const line of createInterface({ input: child.stdout! })) {
    accepted = Number(line);
    if (accepted >= killAt) { child.kill('SIGKILL'); break; }
  }
  await exited;
  const lines = readFileSync(path, 'utf8').split('\n');
  const complete = lines.slice(1, -1).map((l) => JSON.parse(l));
  assert.ok(complete.length >= accepted - SYNC_GROUP, `${accepted} accepted, only ${complete.length} on disk`);
  assert.deepEqual(complete.map((r) => r.i), complete.map((_, i) => i), 'records are whole and in order');
});

// The fsync group follows the call's chunk size: a chunk that came back is
// finished work held in memory either way, and 16 fsyncs per 1,000-item chunk
// made journaled distributed maps crawl (about 9,000 items/s).
test('the writer holds at most one group of unsynced records: 64, or the chunk size when larger', async () => {
  const { JournalWriter } = await import('../../src/journal/journal-writer.ts');
  const { open } = await import('node:fs/promises');
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-group-'));
  for (const [chunksize, group] of [[1, SYNC_GROUP], [32, SYNC_GROUP], [1_000, 1_000]] as const) {
    const path = join(dir, `j${chunksize}.journal`);
    const fh = await open(path, 'a');
    let syncs = 0;
    let mostUnsynced = 0;
    let appended = 0;
    const datasync = fh.datasync.bind(fh);
    // Counts the real fdatasync calls and the records appended but not yet covered by one.
    let synced = 0;
    fh.datasync = async () => { syncs++; const upTo = appended; await datasync(); synced = upTo; };
    const writer = new JournalWriter(path, fh, chunksize);
    assert.equal(writer.group, group);
    for (let i = 0; i < 3_000; i++) {
      await writer.append(JSON.stringify({ i }));
      appended++;
      mostUnsynced = Math.max(mostUnsynced, appended - synced);
    }
    await writer.close();
    assert.ok(mostUnsynced <= group, `chunksize ${chunksize}: ${mostUnsynced} records unsynced at once, group ${group}`);
    assert.ok(syncs >= Math.floor(3_000 / group) && syncs <= Math.ceil(3_000 / group) + 1, `chunksize ${chunksize}: ${syncs} fsyncs for 3,000 records`);
    assert.equal(readFileSync(path, 'utf8').split('\n').length - 1, 3_000);
  }
});
