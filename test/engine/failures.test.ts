/** What a worker's death means for its running task, without processes (src/engine/failures.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataCloneError, MemoryLimitError, PoolTerminatedError, WorkerCrashedError } from '../../src/errors.ts';
import { FrameDecodeError } from '../../src/protocol/framing.ts';
import { UndecodableMessageError } from '../../src/protocol/undecodable.ts';
import { describeRunning, judgeRunningTask, startBackoffMs, START_BACKOFF_MAX_MS, type DeathFacts } from '../../src/engine/failures.ts';

const death = (over: Partial<DeathFacts> = {}): DeathFacts => ({
  reason: 'crash', poolAlive: true, terminated: false, exitCode: 7, signal: null, outOfMemory: false,
  runtimeError: undefined, channelError: undefined, pid: 123, workerId: 1, memoryLimit: undefined, rss: undefined, ...over,
});
const task = (retries = 0, crashes = 0) => ({ name: 'f', size: 1, first: undefined, retries, crashes: Array.from({ length: crashes }, () => ({ exitCode: 7, signal: null, pid: 1 })) });

test('a crash with retries left is retried, with the crash recorded', () => {
  const v = judgeRunningTask(task(2, 1), death());
  assert.equal(v.kind, 'retry');
  assert.equal(v.kind === 'retry' && v.crashes.length, 2);
});

test('a crash with no retries left fails with WorkerCrashedError listing every attempt', () => {
  const v = judgeRunningTask(task(1, 1), death({ signal: 'SIGKILL', exitCode: null }));
  assert.equal(v.kind, 'settle');
  if (v.kind !== 'settle') return;
  assert.ok(v.error instanceof WorkerCrashedError);
  assert.equal(v.failure, 'crash');
  assert.equal((v.error as WorkerCrashedError).attempts.length, 2);
});

test('a crash after terminate() is not retried', () => {
  const v = judgeRunningTask(task(3), death({ poolAlive: false }));
  assert.equal(v.kind, 'settle');
});

test('a worker stopped by terminate() fails its task with PoolTerminatedError, counted as no failure kind', () => {
  const v = judgeRunningTask(task(), death({ reason: 'shutdown', terminated: true }));
  assert.ok(v.kind === 'settle' && v.error instanceof PoolTerminatedError && v.failure === undefined);
});

test('out of memory with a cap is a MemoryLimitError', () => {
  const v = judgeRunningTask(task(), death({ outOfMemory: true, memoryLimit: 64e6 }));
  assert.ok(v.kind === 'settle' && v.error instanceof MemoryLimitError && v.failure === 'memory');
});

test('past the memory cap the pool set, a task is not retried, like a timeout: V8 heap cap and RSS cap alike', () => {
  for (const facts of [{ outOfMemory: true }, { reason: 'memory' as const }]) {
    const v = judgeRunningTask(task(3), death({ ...facts, memoryLimit: 64e6 }));
    assert.ok(v.kind === 'settle' && v.error instanceof MemoryLimitError && v.failure === 'memory', JSON.stringify(facts));
  }
  // With no cap, running out of heap is a crash, and retried.
  assert.equal(judgeRunningTask(task(1), death({ outOfMemory: true })).kind, 'retry');
});

test('a result that could not be decoded is a DataCloneError and is never retried', () => {
  const v = judgeRunningTask(task(5), death({ reason: 'protocol', channelError: new FrameDecodeError('too deep') }));
  assert.ok(v.kind === 'settle' && v.error instanceof DataCloneError && v.failure === 'error');
});

test('a thread\'s message that did not decode is judged as a process\'s frame is: DataCloneError, never retried', () => {
  const v = judgeRunningTask(task(5), death({ reason: 'protocol', runtime: 'thread', channelError: new UndecodableMessageError('a message could not be decoded') }));
  assert.ok(v.kind === 'settle' && v.error instanceof DataCloneError && v.failure === 'error');
  assert.match(v.kind === 'settle' ? v.error.message : '', / between threads: a message could not be decoded$/);
});

test('after a message that did not decode, only the task that sent it is blamed: a neighbour dies as a crash victim', () => {
  const undecodable = death({ reason: 'protocol', channelError: new FrameDecodeError('too deep') });
  const sender = judgeRunningTask({ ...task(5), sentUndecodable: true }, undecodable);
  assert.ok(sender.kind === 'settle' && sender.error instanceof DataCloneError);
  assert.equal(judgeRunningTask({ ...task(5), sentUndecodable: false }, undecodable).kind, 'retry');
  const victim = judgeRunningTask({ ...task(0), sentUndecodable: false }, undecodable);
  assert.ok(victim.kind === 'settle' && victim.error instanceof WorkerCrashedError && victim.failure === 'crash');
});

test('a broken channel (not a decode failure) is a crash whose message says why', () => {
  const v = judgeRunningTask(task(), death({ reason: 'protocol', channelError: new Error('the worker closed its event channel') }));
  assert.ok(v.kind === 'settle' && v.error instanceof WorkerCrashedError);
  assert.match(v.kind === 'settle' ? v.error.message : '', /closed its event channel/);
});

test('start-failure backoff doubles from 50 ms and is capped', () => {
  assert.deepEqual([1, 2, 3, 4].map(startBackoffMs), [50, 100, 200, 400]);
  assert.equal(startBackoffMs(30), START_BACKOFF_MAX_MS);
});

test('describeRunning names the item, the chunk\'s items, or the task', () => {
  assert.equal(describeRunning({ size: 1, first: undefined }), 'the task');
  assert.equal(describeRunning({ size: 1, first: 7 }), 'the item at index 7');
  assert.match(describeRunning({ size: 32, first: 64 }), /^items at indices 64–95, one chunk \(which item, the pool cannot tell/);
  assert.match(describeRunning({ size: 32, first: undefined }), /^a chunk of 32 items \(which item/);
  // A resumed journal's chunk: its items' own indices, in ranges, cut after four.
  assert.match(describeRunning({ size: 4, first: 3, indices: [3, 4, 5, 9] }), /^items at indices 3–5, 9, one chunk/);
  assert.match(describeRunning({ size: 6, first: 1, indices: [1, 3, 5, 7, 9, 11] }), /^items at indices 1, 3, 5, 7, …, one chunk/);
  const v = judgeRunningTask({ ...task(0), size: 3, first: 10 }, death({ signal: 'SIGKILL', exitCode: null }));
  assert.ok(v.kind === 'settle' && v.error instanceof WorkerCrashedError);
  assert.match(v.error.message, /killed by SIGKILL while running items at indices 10–12, one chunk/);
  const m = judgeRunningTask({ ...task(0), size: 1, first: 4 }, death({ memoryLimit: 1e8, outOfMemory: true }));
  assert.ok(m.kind === 'settle' && m.error instanceof MemoryLimitError);
  assert.match(m.error.message, /while running the item at index 4 \(V8 ran out of heap\)/);
});

test('a task that died beside others says so: a crash no one task can be blamed for, or the pool\'s kill over another task', () => {
  const alone = judgeRunningTask({ ...task(0), beside: 0 }, death({ signal: 'SIGKILL', exitCode: null }));
  assert.ok(alone.kind === 'settle');
  assert.match(alone.error.message, /killed by SIGKILL while running the task$/);
  const crash = judgeRunningTask({ ...task(0), beside: 2 }, death({ signal: 'SIGSEGV', exitCode: null }));
  assert.ok(crash.kind === 'settle' && crash.error instanceof WorkerCrashedError);
  assert.match(crash.error.message, /killed by SIGSEGV while running the task, one of 3 tasks it was running at once: which of them caused it, the pool cannot tell$/);
  // The worker's own last words come first.
  const said = judgeRunningTask({ ...task(0), beside: 1 }, death({ runtimeError: new Error('boom') }));
  assert.ok(said.kind === 'settle');
  assert.match(said.error.message, /exited with code 7 while running the task, one of 2 tasks it was running at once: boom; which of them caused it/);
  for (const [reason, what] of [['timeout', 'overran its timeout'], ['abort', 'was aborted']] as const) {
    const v = judgeRunningTask({ ...task(0), beside: 1 }, death({ reason, signal: 'SIGKILL', exitCode: null }));
    assert.ok(v.kind === 'settle' && v.error instanceof WorkerCrashedError);
    assert.match(v.error.message, new RegExp(`one of 2 tasks it was running at once: the pool killed it because a task beside this one ${what} and had not stopped within abortGrace$`));
  }
  // The hard memory cap cannot tell which task grew either.
  const m = judgeRunningTask({ ...task(0), beside: 1 }, death({ reason: 'memory', memoryLimit: 1e8, rss: 2e8 }));
  assert.ok(m.kind === 'settle' && m.error instanceof MemoryLimitError);
  assert.match(m.error.message, /while running the task, one of 2 tasks it was running at once$/);
});

test('a worker that recorded whose code ended it: that task is blamed, the others are told it was not them', () => {
  const own = judgeRunningTask({ ...task(0), beside: 2, culprit: true }, death({ runtimeError: new Error('boom') }));
  assert.ok(own.kind === 'settle' && own.error instanceof WorkerCrashedError);
  assert.match(own.error.message, /exited with code 7 while running the task, one of 3 tasks it was running at once: boom; this task's code ended it$/);
  const other = judgeRunningTask({ ...task(0), beside: 2, culprit: false }, death({}));
  assert.ok(other.kind === 'settle');
  assert.match(other.error.message, /exited with code 7 while running the task, one of 3 tasks it was running at once: another task's code ended it, not this one's$/);
  // Alone, there is nobody else to blame: the message is as before.
  const alone = judgeRunningTask({ ...task(0), beside: 0, culprit: undefined }, death({}));
  assert.ok(alone.kind === 'settle');
  assert.match(alone.error.message, /exited with code 7 while running the task$/);
});
