/**
 * Builds throwaway projects that use forkpool the way an app does: from the
 * packed tarball (what `npm publish` would ship), unpacked into the project's
 * node_modules without touching the network. Expects `dist/` to be built
 * (`npm test` builds first).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
const APP = join(repo, 'test/fixtures/package/app');
/** Building and running a tiny project takes a second or two; this bounds a stuck one. */
const STEP_TIMEOUT_MS = 30_000;

export interface Packed { dir: string; tarball: string; files: string[] }

/** `npm pack` of this repo into a new temp folder (scripts skipped: `npm test` already built dist/). */
export function packForkpool(): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-pack-'));
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repo);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { dir, tarball: join(dir, info!.filename), files: info!.files.map((f) => f.path) };
}

/**
 * A copy of the fixture app in a temp folder, with the packed forkpool in its
 * node_modules, `@types/node` linked from this repo, and tsx linked too only
 * when asked (it is an optional peer dependency).
 */
export function makeProject(packed: Packed, opts: { tsx?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-app-'));
  cpSync(APP, dir, { recursive: true });
  const pkg = join(dir, 'node_modules/forkpool');
  mkdirSync(pkg, { recursive: true });
  run('tar', ['-xzf', packed.tarball, '-C', pkg, '--strip-components=1'], dir);
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(repo, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  if (opts.tsx) symlinkSync(join(repo, 'node_modules/tsx'), join(dir, 'node_modules/tsx'), 'dir');
  return dir;
}

export function removeAll(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = tryRun(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

export function tryRun(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: STEP_TIMEOUT_MS, env: { ...process.env, NODE_OPTIONS: '' } });
}

/** `node args...` in `cwd`; the last stdout line parsed as JSON. */
export function node(args: string[], cwd: string): unknown {
  const r = run(process.execPath, args, cwd);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`expected a JSON line from node ${args.join(' ')}, got:\n${r.stdout}\n${r.stderr}`);
  }
}

export const tsc = (cwd: string) => run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', cwd], cwd);
