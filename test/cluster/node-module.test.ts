/**
 * `forkpool worker` with a module it cannot serve: one line and exit 255
 * before it takes a job, as for a Redis it cannot use. A node whose module
 * exported no functions used to start and serve nothing (every job sent to
 * it failed as an unknown task), with "(exports: none)" as its only hint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { runCli } from './nodes.ts';

describe('a node whose module it cannot serve', { skip: redisSkip }, () => {
  let redis: RedisServer;
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-node-module-'));
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  for (const [what, source, message] of [
    ['exports no function', 'export const answer = 42;\nexport default { size: 3 };\n', /exports no functions: this node would have no task to run/],
    ['throws on import', 'throw new RangeError("bad config");\n', /bad config/],
  ] as const) {
    test(`a module that ${what}: exit 255, one line naming the module, no job taken`, async () => {
      const file = join(dir, `${what.replaceAll(' ', '-')}.mjs`);
      writeFileSync(file, source);
      const r = await runCli(['worker', file, '--redis', redis.url, '--queue', 'mod', '-j', '1']);
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, message);
      assert.ok(r.stderr.includes(file), `names the module: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    });
  }
});
