/**
 * Why the task module could not be loaded, in one line. A syntax error is
 * shown with its place (`Unexpected token ';' at tasks.mjs:12:5`): the error
 * that reaches the runner does not always carry it, so it is looked for:
 *
 * - TypeScript (compiled by esbuild through tsx): esbuild's message starts
 *   each problem with `file:line:col: ERROR: text`;
 * - JavaScript: V8 keeps the place of a module's syntax error out of the
 *   error's message and stack, so `node --check` is asked, which prints it.
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';

/** `node --check` on a module the workers could not parse: a parse, so quick; bounded anyway. */
const CHECK_TIMEOUT_MS = 10_000;
const ESBUILD_PROBLEM = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m;
const JS_EXTENSION = /\.(m|c)?js$/i;

export function loadFailure(err: Error & { cause?: unknown }, ctx: { modulePath: string }): string {
  const root = innermost(err);
  const where = (file: string, line: number | string, col: number | string) => `${relative(process.cwd(), file) || file}:${line}:${col}`;
  const esbuild = ESBUILD_PROBLEM.exec(root.message);
  if (esbuild) return `SyntaxError: ${esbuild[4]} at ${where(esbuild[1]!, esbuild[2]!, esbuild[3]!)}`;
  if (root.name === 'SyntaxError') {
    const place = JS_EXTENSION.test(ctx.modulePath) ? checkSyntax(ctx.modulePath) : undefined;
    if (place) return `SyntaxError: ${place.message} at ${where(place.file, place.line, place.column)}`;
    return `SyntaxError: ${root.message}`;
  }
  return err.message;
}

function innermost(err: Error & { cause?: unknown }): Error {
  let e: Error & { cause?: unknown } = err;
  for (let i = 0; i < 10 && e.cause instanceof Error; i++) e = e.cause;
  // A cause that crossed the process boundary may be a plain object with name and message.
  const c = e.cause as { name?: unknown; message?: unknown } | undefined;
  if (c && typeof c.name === 'string' && typeof c.message === 'string') return c as Error;
  return e;
}

/**
 * `node --check file` prints `file:LINE`, the source line, a caret under the
 * column, a blank line, then `SyntaxError: message`.
 */
function checkSyntax(file: string): { file: string; line: number; column: number; message: string } | undefined {
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS });
  if (r.status === 0 || !r.stderr) return undefined;
  const lines = r.stderr.split('\n');
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  const caret = lines.findIndex((l) => /^\s*\^+\s*$/.test(l));
  const message = /^SyntaxError: (.*)$/m.exec(r.stderr)?.[1];
  if (!head || !message) return undefined;
  return { file: head[1]!, line: Number(head[2]), column: caret > 0 ? lines[caret]!.indexOf('^') + 1 : 1, message };
}
