import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs } from '../../dist/cli/args.js';
import { plan, READ_AHEAD_CHUNKS_PER_WORKER } from '../../dist/cli/plan.js';
import { TASKS } from './helpers.js';

function configOf(flags: string[]) {
  const parsed = parseRunArgs([`${TASKS}#square`, ...flags]);
  assert.ok(!parsed.help);
  return parsed.config;
}

test('--timeout and --max-memory keep the chunks of the same run without them: a death in a chunk fails only its running item', () => {
  const total = 100_000;
  const chunked = plan(configOf(['-j', '2']), total);
  assert.equal(chunked.chunksize, 32);
  assert.equal(chunked.readAhead, READ_AHEAD_CHUNKS_PER_WORKER * 2 * 32);
  for (const flags of [['--timeout', '5s'], ['--max-memory', '512MB'], ['--timeout', '1s', '--max-memory', '1GB']]) {
    assert.deepEqual(plan(configOf(['-j', '2', ...flags]), total), chunked, flags.join(' '));
  }
  // Unknown length (a slow stdin): one item, two per worker, with or without them.
  assert.deepEqual(plan(configOf(['-j', '3', '--timeout', '5s']), undefined), { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 3 });
});

test('through Redis, --timeout means one item per job (a job is judged whole), two jobs per nominal slot', () => {
  const redis = ['--redis', 'redis://127.0.0.1:6379', '--queue', 'q'];
  assert.ok(plan(configOf(redis), 100_000).chunksize > 1);
  assert.deepEqual(plan(configOf([...redis, '--timeout', '5s']), 100_000), { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 16 });
});

test('an explicit --chunksize and paced runs keep their read-ahead', () => {
  assert.deepEqual(plan(configOf(['-j', '2', '--chunksize', '1', '--timeout', '5s']), 100_000), { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 2 });
  assert.deepEqual(plan(configOf(['-j', '2', '--chunksize', '8']), 100_000), { chunksize: 8, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * 2 * 8 });
  assert.deepEqual(plan(configOf(['-j', '4', '--delay', '1s', '--timeout', '5s']), 100_000), { chunksize: 1, readAhead: 4 });
});
