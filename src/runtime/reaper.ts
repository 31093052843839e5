/**
 * Kills worker processes that outlive the main process.
 *
 * A worker notices its parent's death by EOF on its command pipe, but only
 * when its event loop is free: one stuck in a synchronous loop or in native
 * code would live on. So each main process starts one tiny `sh` reaper in its
 * own process group (a Ctrl-C to the terminal's group does not take it down
 * first) and tells it, on its stdin, every worker pid that starts (`+pid`) and
 * exits (`-pid`). When the main process dies, even by SIGKILL, the kernel
 * closes that pipe; the reaper reads EOF and SIGKILLs the pids still listed,
 * each with its process group (a worker leads its own: see process.ts), so
 * what a task started dies too.
 * If `sh` is missing (Windows), workers still exit on EOF when they can.
 *
 * The reaper is forked on the turn after the first worker is spawned, not
 * before it: forking `sh` blocks this process for 2-10 ms, which would delay
 * the workers' spawn (and so the pool's first result), while on the next turn
 * it overlaps with the workers' own start-up (about 100 ms). Until then pids
 * wait in a list; in that turn a worker cannot have run anything yet.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const REAPER_SCRIPT = `set -f; pids=' '
while IFS= read -r l; do
  p=\${l#?}
  case $l in
    +*) pids="$pids$p " ;;
    -*) case $pids in *" $p "*) pids="\${pids%% $p *} \${pids#* $p }" ;; esac ;;
  esac
done
for p in $pids; do kill -9 -"$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done`;

let reaper: ChildProcess | undefined;
let failed = false;
/** Lines written before the reaper started. */
let pending: string[] = [];
let scheduled = false;

function start(): ChildProcess | undefined {
  if (reaper || failed || process.platform === 'win32') return reaper;
  try {
    reaper = spawn('/bin/sh', ['-c', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    reaper.on('error', () => { failed = true; reaper = undefined; });
    reaper.stdin!.on('error', () => { /* reaper gone: nothing to do */ });
    // Neither the reaper nor its pipe may keep this process alive.
    reaper.unref();
    (reaper.stdin as unknown as { unref?(): void }).unref?.();
  } catch {
    failed = true;
  }
  if (reaper && pending.length) reaper.stdin!.write(pending.join(''));
  pending = [];
  return reaper;
}

function write(line: string): void {
  if (reaper) reaper.stdin?.write(line);
  else if (!failed && process.platform !== 'win32') {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      // Unref'd: a process that exits before the reaper starts needs none.
      setImmediate(start).unref();
    }
  }
}

export function watchPid(pid: number): void {
  write(`+${pid}\n`);
}

export function forgetPid(pid: number): void {
  write(`-${pid}\n`);
}
