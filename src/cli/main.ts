#!/usr/bin/env node
/**
 * The `forkpool` command. Subcommands: `run` (this file's reason to exist).
 * A user error, or one of the machine (a full disk, a read-only folder),
 * prints one clear line and exits 255; anything else is a bug and keeps its
 * stack.
 */
import { readFileSync } from 'node:fs';
import { parseRunArgs } from './args.js';
import { EXIT, UsageError } from './errors.js';
import { RUN_HELP } from './help.js';
import { describeEnvironmentError, isEnvironmentError } from './errno.js';
import { runCommand } from './run.js';
import { workerCommand } from './worker.js';

const HELP = `Usage: forkpool <command> [options]

Commands
  run <module>[#export] [inputs...]   run a function over many inputs in a process pool
  worker <module> --redis URL --queue NAME   serve a module's tasks to distributed pools

forkpool run --help   options of run
forkpool worker --help   options of worker
forkpool --version    version`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-V') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  if (command === 'worker') return workerCommand(rest);
  if (command !== 'run') throw new UsageError(`Unknown command ${JSON.stringify(command)}; the commands are: run, worker (see forkpool --help)`);
  const parsed = parseRunArgs(rest);
  if (parsed.help) {
    process.stdout.write(`${RUN_HELP}\n`);
    return EXIT.ok;
  }
  // Even with --quiet: the note is about what --quiet and the rest may not have done.
  for (const note of parsed.config.notes) process.stderr.write(`forkpool: note: ${note}\n`);
  return runCommand(parsed.config);
}

/**
 * A reader that went away must never cost a stack trace. stdout: the results
 * writer stops the run itself (output.ts); anything else written there (help,
 * `--dry-run`, `--json-summary`) just ends, and the exit code says why.
 * Any other failure to write stdout (a full disk) ends the command with exit
 * 255 once it is done, as a failed `-o` does.
 * stderr (progress, worker logs, the summary): the run goes on without it.
 * Both listeners exist before anything is written.
 */
let stdoutClosed = false;
/** A write to stdout that failed otherwise (ENOSPC, EIO): the listing or summary written there is lost. */
let stdoutFailed: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') {
    stdoutFailed ??= err;
    return;
  }
  stdoutClosed = true;
  // After the command's own code was set (the last write failed as the process was ending).
  if (process.exitCode === undefined || process.exitCode === EXIT.ok) process.exitCode = EXIT.brokenPipe;
});
process.stderr.on('error', () => {});
// Checked at exit, not when main() ends: a failed write may report its error after that. A run that
// already failed keeps its own code (the results writer reports a failed -o itself).
process.on('exit', () => {
  if (!stdoutFailed || (process.exitCode !== undefined && process.exitCode !== EXIT.ok)) return;
  const err: NodeJS.ErrnoException = stdoutFailed;
  const shown = isEnvironmentError(err) ? describeEnvironmentError(Object.assign(err, { path: 'stdout' })) : `cannot write stdout: ${(err as Error).message}`;
  process.stderr.write(`forkpool: ${shown}\n`);
  process.exitCode = EXIT.usage;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = stdoutClosed && code === EXIT.ok ? EXIT.brokenPipe : code; },
  (err: unknown) => {
    if (err instanceof UsageError || isEnvironmentError(err)) {
      const message = err instanceof UsageError ? err.message : describeEnvironmentError(err);
      process.stderr.write(`forkpool: ${message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`forkpool: internal error (please report it): ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = EXIT.usage;
  },
);
