// A value nested deeper than the main side's deserializer follows, put into
// a shared object from a worker: its call is written whole and cannot be read
// here. The task fails once with DataCloneError (not a crash, not retried),
// the shared object is left as it was, and the pool goes on. Under the thread
// runtime the worker's larger stack writes such values at any depth, and the
// task was run again as a crash, `retries` times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, DataCloneError } from 'forkpool';
import { Manager, Queue } from '../../dist/shared/index.js';
import { runtime } from './helpers.ts';

const TASKS = new URL('../fixtures/deep-values.mjs', import.meta.url);
const BETWEEN = runtime === 'thread' ? 'between threads' : 'between processes';

for (const kind of ['queue', 'dict', 'list'] as const) {
  test(`[${runtime}] a value too deep to read here, put into a ${kind} from a worker, fails that task once with DataCloneError`, { timeout: 60_000 }, async () => {
    await using pool = new Pool(TASKS, { processes: 1, runtime, logs: 'silent', retries: 2 });
    await using m = new Manager();
    const target = kind === 'queue' ? new Queue() : kind === 'dict' ? m.dict() : m.list();
    const err = await pool.apply('putDeep', [target, kind, 2500]).then(() => assert.fail('resolved'), (e: Error) => e);
    assert.ok(err instanceof DataCloneError, String(err));
    assert.match(err.message, new RegExp(`^Could not send the result of task "putDeep" \\(or a value it sent to a shared object\\) ${BETWEEN}: .*could not be decoded`));
    const stats = pool.stats();
    assert.equal(stats.failed.crash, 0, 'not a crash');
    assert.equal(stats.retried, 0, 'not run again');
    // Nothing half-written: the call never reached the shared object.
    const size = target instanceof Queue ? target.qsize() : 'size' in target ? target.size() : target.length();
    assert.equal(await size, 0);
    // The same object still works from a worker.
    assert.equal(await pool.apply('putDeep', [target, kind, 3]), 'put');
  });
}
