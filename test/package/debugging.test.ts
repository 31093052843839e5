import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, type LogLine } from 'forkpool';

test("execArgv ['--inspect=0'] gives each process worker a debugger, whose URL arrives as a log line tagged with the worker", async () => {
  const lines: LogLine[] = [];
  const pool = new Pool(new URL('../fixtures/esm.mjs', import.meta.url), { processes: 2, execArgv: ['--inspect=0'], logs: 'pipe' });
  pool.on('log', (line) => lines.push(line));
  try {
    assert.deepEqual(await pool.map('quad', [1, 2, 3, 4], { chunksize: 1 }), [4, 8, 12, 16]);
  } finally {
    pool.close();
    await pool.join();
  }
  const urls = lines.filter((l) => l.stream === 'stderr' && /^Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//.test(l.text));
  assert.ok(urls.length >= 1, `expected a debugger URL in the worker logs, got ${JSON.stringify(lines)}`);
  for (const l of urls) assert.equal(typeof l.workerId, 'number');
  assert.equal(new Set(urls.map((l) => l.workerId)).size, urls.length, 'one debugger per worker');
});
