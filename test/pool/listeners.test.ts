/**
 * A pool's event listener, or a `logs` function, that throws: the pool goes
 * on exactly as if it had not thrown (each task settles as it would have, no
 * worker is killed for it, nothing runs twice), and what it threw is an
 * uncaught exception on a later tick, as from any emitter called from I/O.
 * Each scenario runs in a child process (test/helpers/listener-scenario.mjs):
 * node:test takes an uncaught exception in its own process for a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, localOnly, onRedis, poolOptions, runtime } from '../helpers.ts';

const SCRIPT = fileURLToPath(new URL('../helpers/listener-scenario.mjs', import.meta.url));

interface Report {
  hang?: string;
  results: Record<string, { ok?: string; err?: string; message?: string }>;
  failed: Record<string, number>;
  exits: string[];
  calls: number;
  uncaught: string[];
  runs: string[];
}

async function scenario(kind: string, mode: 'handle' | 'die') {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-listeners-'));
  try {
    const options = await poolOptions(fixture('listeners.mjs'), { processes: 1, runtime, retries: 1 });
    return spawnSync(process.execPath, [SCRIPT, kind, JSON.stringify(options), join(dir, 'runs'), mode], { encoding: 'utf8', timeout: 40_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function count(list: string[], x: string): number {
  return list.filter((y) => y === x).length;
}

const KINDS = [
  ['log', false],
  ['logs', false],
  ['taskError', false],
  // The distributed engine has no workers of its own to report.
  ['workerStart', true],
  ['workerExit', true],
] as const;

for (const [kind, workerEvent] of KINDS) {
  const what = kind === 'logs' ? 'a `logs` function' : `a '${kind}' listener`;
  test(`${what} that throws disturbs nothing, and its error is an uncaught exception on a later tick`, { skip: workerEvent && localOnly('no worker events on the backend') }, async () => {
    const r = await scenario(kind, 'handle');
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
    assert.equal(report.hang, undefined, `hung at ${report.hang}: ${r.stderr}`);
    // Each task settled as it would have: its value, or its own error.
    assert.deepEqual(report.results.work, { ok: 'work' });
    assert.deepEqual(report.results.fail, { err: 'Error', message: 'own error of fail' });
    assert.deepEqual(report.results.next, { ok: 'next' });
    // With `retries: 1`, a task ran twice only where its worker really crashed.
    assert.equal(count(report.runs, 'work'), 1);
    assert.equal(count(report.runs, 'fail'), 1);
    assert.equal(count(report.runs, 'next'), 1);
    if (!onRedis) {
      assert.equal(report.results.crash?.err, 'WorkerCrashedError');
      assert.equal(count(report.runs, 'crash'), 2);
      // No worker was killed for a listener: the only exits are the crash task's two.
      assert.deepEqual(report.exits, ['crash', 'crash']);
      assert.deepEqual(report.failed, { error: 1, crash: 1, timeout: 0, memory: 0, aborted: 0 });
    }
    // Not swallowed: each throw reached the uncaughtException handler, once.
    assert.ok(report.calls > 0, 'the listener was called');
    assert.deepEqual(report.uncaught, Array(report.calls).fill(`bug in my ${kind} listener`));

    // Without a handler, the process dies of it, as of any uncaught exception.
    const died = await scenario(kind, 'die');
    assert.equal(died.status, 1, `${died.stdout}${died.stderr}`);
    assert.match(died.stderr, new RegExp(`Error: bug in my ${kind} listener`));
  });
}
