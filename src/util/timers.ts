/**
 * Timers that honour any delay.
 *
 * Node clamps a `setTimeout` delay above 2^31−1 ms (about 24.8 days) to 1 ms,
 * so a "25 day" task timeout would fire at once and kill a healthy worker.
 * `longTimeout` re-arms in steps below that limit until the deadline, and
 * treats `Infinity` as "never" (no timer at all).
 */

/** The largest delay Node's timers accept without clamping it to 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
  ref(): void;
  unref(): void;
}

const NEVER: LongTimer = { clear() {}, ref() {}, unref() {} };

/** Calls `fn` once after `ms` milliseconds, for any `ms` (Infinity: never). */
export function longTimeout(fn: () => void, ms: number): LongTimer {
  if (ms === Infinity) return NEVER;
  const deadline = Date.now() + ms;
  let refd = true;
  let timer: NodeJS.Timeout | undefined;
  const arm = (delay: number) => {
    timer = setTimeout(() => {
      const left = deadline - Date.now();
      if (left > 0) arm(left);
      else fn();
    }, Math.min(Math.max(delay, 0), MAX_TIMER_DELAY_MS));
    if (!refd) timer.unref();
  };
  arm(ms);
  return {
    clear() { if (timer) clearTimeout(timer); timer = undefined; },
    ref() { refd = true; timer?.ref(); },
    unref() { refd = false; timer?.unref(); },
  };
}
