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
