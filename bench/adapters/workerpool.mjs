// workerpool with workerType 'thread' or 'process'; `forkOpts` lets a row opt
// in to advanced serialization.
import workerpool from 'workerpool';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../workers/workerpool.mjs', import.meta.url));

export async function create({ workers, workerType, forkOpts }) {
  const pool = workerpool.pool(SCRIPT, { minWorkers: workers, maxWorkers: workers, workerType, forkOpts });
  return {
    runtime: workerType,
    run: (name, arg) => pool.exec(name, [arg]),
    runMany: (name, args) => Promise.all(args.map((a) => pool.exec(name, [a]))),
    destroy: () => pool.terminate(),
  };
}
