// A worker sees this process's environment by default (PATH and user
// variables), `env` replaces it when given, and forkpool's own channel
// settings (FORKPOOL_RUNNING_FD) never reach the task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as basic from '../fixtures/basic.ts';
import { fixture, runtime, makePool, localOnly } from '../helpers.ts';

test("a worker inherits this process's environment by default", async () => {
  process.env.FORKPOOL_TEST_INHERITED = 'from the parent';
  try {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), { processes: 1, runtime, logs: 'silent' });
    assert.equal(await pool.apply('env', ['FORKPOOL_TEST_INHERITED']), 'from the parent');
    assert.equal(await pool.apply('env', ['PATH']), process.env.PATH);
    assert.equal(await pool.apply('env', ['FORKPOOL_RUNNING_FD']), undefined, 'the channel setting is not left for the task');
  } finally {
    delete process.env.FORKPOOL_TEST_INHERITED;
  }
});

test("a worker's process.argv is the node binary and the worker script, without the process runtime's marker argument", async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { processes: 1, runtime, logs: 'silent' });
  const argv = await pool.apply('argv', []);
  assert.equal(argv.length, 2, JSON.stringify(argv));
  assert.equal(argv[0], process.execPath);
  assert.match(argv[1]!, /worker-entry\.js$/);
});

test('env replaces the environment; PATH stays only if given', { skip: localOnly('`env` describes local workers (nodes have their own)') }, async () => {
  await using pool = await makePool<typeof basic>(fixture('basic.ts'), { processes: 1, runtime, logs: 'silent', env: { ONLY: 'this' } });
  assert.equal(await pool.apply('env', ['ONLY']), 'this');
  assert.equal(await pool.apply('env', ['PATH']), undefined);
});

test('a variable set to undefined in env is left out of the worker\'s environment (e.g. NODE_EXTRA_CA_CERTS, for faster start-up)', { skip: localOnly('`env` describes local workers (nodes have their own)') }, async () => {
  process.env.FORKPOOL_TEST_DROPPED = 'set in the parent';
  try {
    await using pool = await makePool<typeof basic>(fixture('basic.ts'), {
      processes: 1, runtime, logs: 'silent', env: { ...process.env, FORKPOOL_TEST_DROPPED: undefined },
    });
    assert.equal(await pool.apply('env', ['FORKPOOL_TEST_DROPPED']), undefined);
    assert.equal(await pool.apply('env', ['PATH']), process.env.PATH, 'the rest is kept');
  } finally {
    delete process.env.FORKPOOL_TEST_DROPPED;
  }
});
