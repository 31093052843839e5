/** `forkpool worker` processes for the distributed tests (real processes, real signals). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const TASKS = fileURLToPath(new URL('./fixtures/tasks.mjs', import.meta.url));

/** Short locks, as the issue asks for fault tests: a dead node's job is back within about 3 s. */
export const TEST_LOCKS = ['--lock-duration', '2s', '--stalled-interval', '1s'];

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a node and resolves once it takes jobs (its start line), or rejects with its stderr if it exits first. */
export async function startNode(url: string, queue: string, extra: string[] = [], locks = TEST_LOCKS, env: NodeJS.ProcessEnv = {}): Promise<NodeProcess> {
  // -j 1 unless `extra` sets it: a flag given twice is refused (as `forkpool run` does).
  const slots = extra.includes('-j') ? [] : ['-j', '1'];
  const child = spawn(process.execPath, [CLI, 'worker', TASKS, '--redis', url, '--queue', queue, ...slots, ...locks, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(' slots on queue ')) resolve();
    });
    void exited.then((code) => reject(new Error(`node exited with ${code} before it was ready: ${err}`)));
  });
  return {
    child,
    pid: child.pid!,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Starts the CLI (real process), for tests that signal it. */
export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs the CLI and collects its exit code and stderr. */
export function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stderr: string; ms: number }> {
  const start = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('exit', (code) => { clearTimeout(t); resolve({ code, stderr, ms: Date.now() - start }); }));
}
