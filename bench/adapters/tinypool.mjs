// tinypool's two runtimes: 'worker_threads' (default) and 'child_process'.
// Serialization is left at tinypool's default (JSON for child_process).
import Tinypool from 'tinypool';

const TASKS = new URL('../workers/tasks.mjs', import.meta.url).href;

export async function create({ workers, runtime = 'worker_threads' }) {
  const pool = new Tinypool({ filename: TASKS, runtime, minThreads: workers, maxThreads: workers });
  return {
    runtime: runtime === 'child_process' ? 'process' : 'thread',
    run: (name, arg) => pool.run(arg, { name }),
    runMany: (name, args) => Promise.all(args.map((a) => pool.run(a, { name }))),
    destroy: () => pool.destroy(),
  };
}
