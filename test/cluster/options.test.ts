import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'forkpool';
import { TASKS } from './nodes.ts';

function refused(options: object, message: RegExp): void {
  assert.throws(() => new Pool(TASKS, options), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.equal((e as { code?: string }).code, 'ERR_FORKPOOL_INVALID_ARG');
    assert.match((e as Error).message, message);
    return true;
  });
}

test('a bad backend is a TypeError at the constructor, naming the value', () => {
  refused({ backend: 'redis://x' }, /`backend` to be an object.*"redis:\/\/x"/);
  refused({ backend: { redis: 'http://host', queue: 'q' } }, /redis:\/\/ or rediss:\/\/ URL, got http:\/\/host/);
  refused({ backend: { redis: 'redis://:pw@host', queue: 'a:b' } }, /`backend.queue`.*"a:b"/);
  refused({ backend: { redis: 'redis://host', queue: '' } }, /`backend.queue`/);
  refused({ backend: { redis: 'redis://host', queue: 'q', colour: 1 } }, /Unknown `backend` option `colour`/);
});

test('a bad URL never shows its password', () => {
  refused({ backend: { redis: 'http://user:s3cret@host', queue: 'q' } }, /^(?!.*s3cret)/);
});

test('local-only options beside backend are refused, naming the forkpool worker flag', () => {
  refused({ backend: { redis: 'redis://host', queue: 'q' }, processes: 4 }, /`processes` is a local-only option.*forkpool worker.*-j/);
  refused({ backend: { redis: 'redis://host', queue: 'q' }, maxMemory: '1GB' }, /`maxMemory`.*--max-memory/);
  refused({ backend: { redis: 'redis://host', queue: 'q' }, initializer: 'init' }, /`initializer` is a local-only option/);
});
