// poolifier's FixedThreadPool and FixedClusterPool. Their mapExecute still
// sends one message per item, so W3 hand-chunks like the other peers.
import { FixedClusterPool, FixedThreadPool } from 'poolifier';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const SCRIPTS = {
  thread: fileURLToPath(new URL('../workers/poolifier-thread.mjs', import.meta.url)),
  cluster: fileURLToPath(new URL('../workers/poolifier-cluster.cjs', import.meta.url)),
};

// poolifier 5.3.2's destroy() sometimes never settles: when a worker exits
// before its kill acknowledgement is read, the wait for that ack is never
// released (seen in ~1 of 5 runs). The workers are gone by then, so treat
// "no worker nodes left" as destroyed too. Polling every 1 ms also keeps the
// event loop alive, which destroy() alone does not (exit code 13).
async function destroy(pool) {
  let settled = false;
  const done = pool.destroy().finally(() => (settled = true));
  while (!settled && pool.info.workerNodes > 0) await sleep(1);
  if (settled) await done;
}

export async function create({ workers, kind }) {
  const Pool = kind === 'cluster' ? FixedClusterPool : FixedThreadPool;
  const pool = new Pool(workers, SCRIPTS[kind], { errorHandler: (e) => console.error(e) });
  return {
    runtime: kind === 'cluster' ? 'process' : 'thread',
    run: (name, arg) => pool.execute(arg, name),
    runMany: (name, args) => Promise.all(args.map((a) => pool.execute(a, name))),
    destroy: () => destroy(pool),
  };
}
