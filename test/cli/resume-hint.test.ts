/** The resume hint's command line (src/cli/resume-hint.ts), and the --redis URL in messages: the password never in clear. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeHint } from '../../src/cli/resume-hint.ts';
import { tokenize } from '../../src/cli/flags.ts';
import { redactUrl } from '../../src/cluster/settings.ts';

const URL_WITH_PASSWORD = 'redis://user:secret@127.0.0.1:6380';

test('the --redis password is masked in the resume hint, in both spellings, and the hint says to put it back', () => {
  for (const argv of [
    ['run', 'm.mjs#f', '-o', 'out.jsonl', '--redis', URL_WITH_PASSWORD, '--queue', 'q'],
    ['run', 'm.mjs#f', '-o', 'out.jsonl', `--redis=${URL_WITH_PASSWORD}`, '--queue', 'q'],
  ]) {
    const hint = resumeHint('out.jsonl.journal', argv, URL_WITH_PASSWORD);
    assert.doesNotMatch(hint, /secret/, hint);
    assert.match(hint, /redis:\/\/user:\*\*\*@127\.0\.0\.1:6380\b/);
    assert.match(hint, /put the --redis password back in place of \*\*\*/);
    assert.match(hint, /--queue q --resume$/);
  }
});

test('a hint without a password, or without --redis, is the command line as given (with --resume)', () => {
  const plain = ['run', 'm.mjs#f', '--force', '-o', 'out.jsonl', '--redis', 'redis://127.0.0.1:6380', '--queue', 'q'];
  assert.equal(
    resumeHint('out.jsonl.journal', plain, 'redis://127.0.0.1:6380'),
    'The journal out.jsonl.journal holds every finished item. To continue where this run stopped:\n  forkpool run m.mjs#f -o out.jsonl --redis redis://127.0.0.1:6380 --queue q --resume',
  );
  assert.equal(
    resumeHint('j', ['run', 'm.mjs#f', '-o', 'o', '::: ', 'a b']),
    "The journal j holds every finished item. To continue where this run stopped:\n  forkpool run m.mjs#f -o o '::: ' 'a b' --resume",
  );
});

test('a password given as ?password= is masked too, in the hint and wherever the URL is shown', () => {
  const url = 'redis://127.0.0.1:6380/0?password=s3cret';
  assert.equal(redactUrl(url), 'redis://127.0.0.1:6380/0?password=***');
  const hint = resumeHint('j', ['run', 'm.mjs#f', '-o', 'o', '--redis', url], url);
  assert.doesNotMatch(hint, /s3cret/, hint);
  assert.match(hint, /put the --redis password back/);
});

test('--redis given twice: the usage error repeats both URLs with their passwords masked', () => {
  assert.throws(
    () => tokenize(['run', 'm.mjs#f', 'a', '--redis', 'redis://:one@127.0.0.1:1', '--redis=redis://:two@127.0.0.1:2']),
    (e: Error) => /--redis was given twice/.test(e.message) && !/:one@|:two@/.test(e.message) && /redis:\/\/:\*\*\*@127\.0\.0\.1:1/.test(e.message),
  );
});
