/**
 * The line a stopped run prints to continue it: the same command line, with
 * `--resume` (and without `--force`, `--resume` or `--resume-failed`).
 *
 * The hint lands where error lines do (terminals, CI logs, bug reports), so
 * the `--redis` URL's password is masked as in those lines (`redactUrl`),
 * and the hint says to put it back: the command is then not quite ready to
 * paste, which beats a password in clear.
 */
import { redactUrl } from '../cluster/settings.js';
import { shellQuote } from '../util/shell-quote.js';

/** `argv`: the command's arguments (`process.argv.slice(2)`); `redis`: the `--redis` URL, if any. */
export function resumeHint(journal: string, argv: readonly string[], redis?: string): string {
  const shown = redis === undefined ? undefined : redactUrl(redis);
  let masked = false;
  const args = argv.filter((a) => a !== '--force' && a !== '--resume' && a !== '--resume-failed').map((a, i, all) => {
    if (redis === undefined || shown === redis) return a;
    // Only the --redis value (`--redis URL` or `--redis=URL`), found by its exact text next to its flag.
    if (a === `--redis=${redis}`) { masked = true; return `--redis=${shown}`; }
    if (a === redis && all[i - 1] === '--redis') { masked = true; return shown!; }
    return a;
  });
  const quoted = args.map(shellQuote);
  const note = masked ? ' (put the --redis password back in place of ***)' : '';
  return `The journal ${journal} holds every finished item. To continue where this run stopped${note}:\n  forkpool ${quoted.join(' ')} --resume`;
}

/** For a `--force` run that could not start: the earlier journal is as it was, so the same command (with `--force`) is the one to run again. */
export function unstartedForceHint(journal: string): string {
  return `Nothing ran, and the journal ${journal} is as it was: run the same command again to start over (with --resume it would continue the earlier run instead).`;
}
