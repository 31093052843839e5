// The floors: what `child_process.fork` (JSON or 'advanced' serialization)
// and a bare worker_threads ping-pong cost with no pool logic at all.
// Tasks are pipelined: each worker keeps up to WINDOW tasks in flight and gets
// the next one as soon as it answers, so the channel never sits idle.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../workers/raw.mjs', import.meta.url));
// Enough to hide the round trip, small enough that 1 MB payloads don't pile up.
const WINDOW = 32;

function spawnWorker(kind, serialization) {
  if (kind === 'thread') {
    const w = new Worker(SCRIPT);
    return { send: (m) => w.postMessage(m), onMessage: (f) => w.on('message', f), stop: () => w.terminate() };
  }
  const child = fork(SCRIPT, [], { serialization, stdio: 'inherit' });
  return {
    send: (m) => child.send(m),
    onMessage: (f) => child.on('message', f),
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    },
  };
}

export async function create({ workers, kind, serialization = 'json' }) {
  let queue = []; // tasks not yet sent: { id, name, arg }
  let head = 0; // index of the next unsent task (Array#shift is O(n) on big queues)
  const pending = new Map(); // id -> resolve
  let nextId = 0;

  const slots = Array.from({ length: workers }, () => ({ w: spawnWorker(kind, serialization), inFlight: 0 }));
  const sendNext = (slot) => {
    slot.inFlight++;
    slot.w.send(queue[head++]);
    if (head === queue.length) [queue, head] = [[], 0];
  };
  // One task at a time to the least-loaded worker, so a burst is split
  // evenly (40 CPU-bound tasks go 20/20, not 32/8).
  const dispatch = () => {
    while (head < queue.length) {
      const slot = slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (slot.inFlight >= WINDOW) return;
      sendNext(slot);
    }
  };
  for (const slot of slots) {
    slot.w.onMessage(({ id, value }) => {
      slot.inFlight--;
      pending.get(id)(value);
      pending.delete(id);
      // Refill the worker that just answered: it is the idle one.
      if (head < queue.length) sendNext(slot);
    });
  }

  const submit = (name, arg) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      queue.push({ id, name, arg });
    });

  return {
    runtime: kind,
    run(name, arg) {
      const p = submit(name, arg);
      dispatch();
      return p;
    },
    runMany(name, args) {
      const all = Promise.all(args.map((a) => submit(name, a)));
      dispatch();
      return all;
    },
    destroy: () => Promise.all(slots.map((s) => s.w.stop())),
  };
}
