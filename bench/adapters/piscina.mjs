import { Piscina } from 'piscina';

const TASKS = new URL('../workers/tasks.mjs', import.meta.url).href;

export async function create({ workers }) {
  const pool = new Piscina({ filename: TASKS, minThreads: workers, maxThreads: workers });
  return {
    runtime: 'thread',
    run: (name, arg) => pool.run(arg, { name }),
    runMany: (name, args) => Promise.all(args.map((a) => pool.run(a, { name }))),
    destroy: () => pool.destroy(),
  };
}
