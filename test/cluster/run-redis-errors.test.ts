/**
 * `forkpool run --redis`: what it prints, and leaves behind, when Redis
 * cannot be used or the run is stopped. The password never shows, and a run
 * that could not start leaves no journal to refuse its plain rerun.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisSkip, startRedis, type RedisServer } from '../helpers/redis.ts';
import { TASKS, runCli, spawnCli, startNode, type NodeProcess } from './nodes.ts';

const PASSWORD = 's3cret-hint';

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

describe('forkpool run --redis: messages and leftovers', { skip: redisSkip }, () => {
  let redis: RedisServer;
  let node: NodeProcess | undefined;
  let dir: string;
  let input: string;

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    dir = mkdtempSync(join(tmpdir(), 'forkpool-run-errors-'));
    input = join(dir, 'in.txt');
    writeFileSync(input, `${Array.from({ length: 400 }, (_, i) => i).join('\n')}\n`);
  });

  after(async () => {
    await node?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Ctrl-C: the resume hint masks the --redis password, as the error lines do; resumed through an unreachable Redis, the journal stays and the hint is masked again', async () => {
    // 20 ms items on one slot: the run is still going when it is interrupted.
    node = await startNode(redis.url, 'hint', [], undefined, { FORKPOOL_TEST_TALLY_MS: '20' });
    const out = join(dir, 'hint.jsonl');
    const args = ['run', `${TASKS}#tally`, '--input', input, '-o', out, '--redis', redis.url, '--queue', 'hint', '-q'];
    const run = spawnCli(args);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => run.once('exit', (c) => r(c)));
    while (lines(`${out}.journal`).length < 6) await new Promise((r) => setTimeout(r, 10));
    run.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /To continue where this run stopped \(put the --redis password back in place of \*\*\*\):\n\s+forkpool run .*'redis:\/\/:\*\*\*@127\.0\.0\.1:\d+' .*--resume\n$/);
    assert.doesNotMatch(stderr, new RegExp(PASSWORD), 'the password is never shown');

    const journal = readFileSync(`${out}.journal`, 'utf8');
    const unreachable = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
    const r = await runCli(['run', `${TASKS}#tally`, '--input', input, '-o', out, '--redis', unreachable, '--queue', 'hint', '-q', '--resume']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: connection refused/);
    assert.match(r.stderr, /forkpool run .*'redis:\/\/:\*\*\*@127\.0\.0\.1:\d+' .*--resume\n$/, 'a journal with records stays, and the hint says how to continue it');
    assert.doesNotMatch(r.stderr, new RegExp(PASSWORD));
    assert.equal(readFileSync(`${out}.journal`, 'utf8'), journal, 'the journal is untouched');
  });

  for (const [what, url] of [
    ['nothing listening', async () => `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`],
    ['a wrong password', async () => `redis://:${PASSWORD}-wrong@127.0.0.1:${redis.port}`],
  ] as const) {
    test(`Redis unusable at the start (${what}): one line naming the URL, exit 255, no journal or output left, and the plain rerun is not refused`, async () => {
      const sub = mkdtempSync(join(dir, 'start-'));
      const out = join(sub, 'out.jsonl');
      const args = ['run', `${TASKS}#tally`, '--input', input, '-o', out, '--redis', await url(), '--queue', 'start', '-q'];
      for (const attempt of ['first', 'rerun']) {
        const r = await runCli(args);
        assert.equal(r.code, 255, `${attempt}: ${r.stderr}`);
        assert.match(r.stderr, /^forkpool: Cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: (connection refused|authentication failed)/, attempt);
        assert.equal(r.stderr.trim().split('\n').length, 1, `${attempt}: one line: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, new RegExp(PASSWORD));
        assert.deepEqual(readdirSync(sub), [], `${attempt}: nothing left`);
      }
    });
  }

  test('--force through an unreachable Redis: nothing ran, the earlier journal is untouched, and the hint is to run the same command again, not to resume', async () => {
    const sub = mkdtempSync(join(dir, 'force-'));
    const out = join(sub, 'out.jsonl');
    const journal = `${out}.journal`;
    const small = join(sub, 'in.txt');
    writeFileSync(small, '1\n2\n3\n');
    // An earlier run's journal, written by a run that worked.
    const forceNode = await startNode(redis.url, 'force', []);
    const first = await runCli(['run', `${TASKS}#tally`, '--input', small, '-o', out, '--redis', redis.url, '--queue', 'force', '-q']);
    await forceNode.stop();
    assert.equal(first.code, 0, first.stderr);
    const before = readFileSync(journal, 'utf8');
    const unreachable = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
    const r = await runCli(['run', `${TASKS}#tally`, '--input', small, '-o', out, '--redis', unreachable, '--queue', 'force', '-q', '--force']);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /^forkpool: Cannot use Redis at /);
    assert.match(r.stderr, /Nothing ran, and the journal .*out\.jsonl\.journal is as it was: run the same command again/);
    assert.doesNotMatch(r.stderr, /--resume\n$|To continue where this run stopped/, 'no resume hint: a resume would continue the earlier run');
    assert.doesNotMatch(r.stderr, new RegExp(PASSWORD));
    assert.equal(readFileSync(journal, 'utf8'), before, 'the earlier journal is untouched');
  });
});
