// forkpool through its public API only, as a user would write it.
import { Pool } from 'forkpool';

const TASKS = new URL('../workers/tasks.mjs', import.meta.url);

export async function create({ workers, runtime }) {
  const pool = new Pool(TASKS, { processes: workers, runtime, logs: 'silent' });
  return {
    runtime,
    run: (name, arg) => pool.apply(name, [arg]),
    // One applyAsync per task, as W1 prescribes; AsyncResult is awaitable,
    // so Promise.all resolves it.
    runMany: (name, args) => Promise.all(args.map((a) => pool.applyAsync(name, [a]))),
    // No chunksize: W3 measures the pool's own default.
    map: (name, items) => pool.map(name, items),
    destroy: () => pool.terminate(),
  };
}
