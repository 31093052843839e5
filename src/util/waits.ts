/** Waits with a bound (a node's stop never hangs on Redis or on a job that does not end). */

/** Waits for `p`, at most `ms`; its rejection is ignored. */
export async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/** Resolves once `check()` holds (looked at every 20 ms). */
export async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}
