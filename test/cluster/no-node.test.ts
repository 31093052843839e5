/** A pool whose nodes are missing says so: a warning while tasks wait, ModuleMismatchError from ready() when only other versions run. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { ModuleMismatchError } from '../../src/cluster/errors.ts';
import { noNodeMessage } from '../../src/cluster/node-watch.ts';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, startNode, type NodeProcess } from './nodes.ts';
import type * as tasks from './fixtures/tasks.mjs';

describe('missing nodes', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];

  before(async () => { redis = await startRedis(); });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  test('with no node, a FORKPOOL_NO_NODE warning names the queue and the command to start one; the task runs once a node comes', async () => {
    // 10 s by default; read when the pool starts.
    process.env.FORKPOOL_NO_NODE_WARN_MS = '300';
    const warnings: Error[] = [];
    const onWarning = (w: Error) => { if ((w as { code?: string }).code === 'FORKPOOL_NO_NODE') warnings.push(w); };
    process.on('warning', onWarning);
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'lonely' } });
    try {
      const result = pool.apply('double', [4]);
      while (warnings.length === 0) await new Promise((r) => setTimeout(r, 50));
      assert.match(warnings[0]!.message, /no forkpool worker serves queue "lonely"/);
      assert.match(warnings[0]!.message, /forkpool worker .*tasks\.mjs --redis redis:\/\/127\.0\.0\.1:\d+\/? --queue lonely/);
      nodes.push(await startNode(redis.url, 'lonely'));
      assert.equal(await result, 8);
      assert.equal(warnings.length, 1, 'then once a minute at most');
    } finally {
      process.off('warning', onWarning);
      delete process.env.FORKPOOL_NO_NODE_WARN_MS;
      await pool.terminate();
    }
  });

  test('ready() rejects with ModuleMismatchError when only nodes of other module versions are up', async () => {
    nodes.push(await startNode(redis.url, 'versions', ['--module-version', 'other-build']));
    const pool = new Pool<typeof tasks>(TASKS, { backend: { redis: redis.url, queue: 'versions' } });
    try {
      await assert.rejects(pool.ready(), (e: unknown) => {
        assert.ok(e instanceof ModuleMismatchError, String(e));
        assert.equal((e as ModuleMismatchError).code, 'ERR_FORKPOOL_MODULE_MISMATCH');
        assert.deepEqual((e as ModuleMismatchError).found, ['other-build']);
        return true;
      });
    } finally {
      await pool.terminate();
    }
  });
});

test('the FORKPOOL_NO_NODE command can be pasted into a shell: a path with a space, a queue with $ and a password are quoted, the password masked', () => {
  const message = noNodeMessage({ redis: 'redis://app:s3cret@10.0.0.5:6379/2', queue: 'batch $nightly', moduleVersion: "it's-v2" }, 'v2', '/srv/my app/tasks.mjs', []);
  const command = message.slice(message.indexOf('Start one: ') + 'Start one: '.length);
  assert.equal(command, "forkpool worker '/srv/my app/tasks.mjs' --redis 'redis://app:***@10.0.0.5:6379/2' --queue 'batch $nightly' --module-version 'it'\\''s-v2'");
  assert.doesNotMatch(message, /s3cret/);
  // A plain command stays plain.
  const plain = noNodeMessage({ redis: 'redis://127.0.0.1:6379', queue: 'jobs' }, 'v1', '/srv/app/tasks.mjs', []);
  assert.match(plain, /forkpool worker \/srv\/app\/tasks\.mjs --redis redis:\/\/127\.0\.0\.1:6379 --queue jobs$/);
});
