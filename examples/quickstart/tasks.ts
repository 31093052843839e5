// A worker module: every exported function is a task.
import { currentTask } from 'forkpool/worker';

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export async function slowSquare(x: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  console.log(`squaring ${x} on worker ${currentTask().workerId}`); // arrives whole, tagged
  return x * x;
}

export function flaky(x: number): number {
  if (x === 3) throw new RangeError(`no threes: ${x}`);
  return x;
}
