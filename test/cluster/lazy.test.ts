import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TASKS } from './nodes.ts';

test('a local pool never loads bullmq or ioredis', () => {
  // A resolve hook reports every import of either package; the local default must not make one.
  const hook = `export async function resolve(s, c, n) { if (/^(bullmq|ioredis)$/.test(s)) console.log('LOADED ' + s); return n(s, c); }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    const { Pool } = await import('forkpool');
    const pool = new Pool(${JSON.stringify(TASKS)}, { processes: 1, logs: 'silent' });
    console.log('result ' + await pool.apply('double', [2]));
    pool.close();
    await pool.join();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /result 4/);
  assert.doesNotMatch(r.stdout, /LOADED/);
});
