/** Shared helpers for the test suites. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The runtime this run of the suite exercises (scripts/test.mjs runs each suite once per runtime). */
export const runtime = (process.env.FORKPOOL_TEST_RUNTIME ?? 'process') as 'process' | 'thread';
export const isThread = runtime === 'thread';

export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls `check` until it is true or `ms` pass; returns whether it became true. For OS state (pids) that has no event. */
export async function eventually(check: () => boolean, ms: number, every = 25): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(every);
  }
  return check();
}

/** How many times each task ran, from a side file where every execution appended its number as a line. */
export function executions(file: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  return counts;
}
