/**
 * Runs the built CLI (`node dist/cli/main.js`) as a real process, the way a
 * user does, and collects what it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');
export const TASKS = join(ROOT, 'test/fixtures/cli/tasks.mjs');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  return child;
}

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  const child = startCli(args, opts);
  return finish(child);
}

export function finish(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'forkpool-cli-'));
}

export function jsonLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Output lines without the run-specific fields (time, worker), sorted by key when unordered. */
export function comparable(rows: Array<Record<string, unknown>>): string[] {
  return rows.map(({ key, input, ok, value, error }) => JSON.stringify({ key, input, ok, value, error }));
}
