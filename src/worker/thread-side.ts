/**
 * What a worker thread does that a worker process does not need: its output
 * waits for the parent to catch up, and it watches its own memory (a thread
 * shares the process's RSS, so the parent cannot read it from outside).
 */
type Send = (stream: 'stdout' | 'stderr', text: string) => void;

/** Characters of output a thread may have posted and the parent not yet handled. */
const THREAD_LOG_BACKLOG_CHARS = 8 * 1024 * 1024;

/**
 * A process's output pipe blocks a writer whose reader is behind, but
 * postMessage never does, so a thread printing in a loop could queue any
 * amount in the parent. The parent counts handled characters down in the
 * shared counter `pending`; past the backlog, the thread waits for it.
 */
export function withLogCredit(send: Send, pending: Int32Array | undefined): Send {
  if (!pending) return send;
  return (stream, text) => {
    for (let seen = Atomics.load(pending, 0); seen > THREAD_LOG_BACKLOG_CHARS; seen = Atomics.load(pending, 0)) {
      Atomics.wait(pending, 0, seen, 50);
    }
    Atomics.add(pending, 0, text.length);
    send(stream, text);
  };
}

/** How often a thread checks its own memory while a task runs (it cannot be read from outside). */
const THREAD_MEMORY_POLL_MS = 100;

/**
 * Past the hard limit while a task runs (`busy`), reports once (`over`) so
 * the parent kills this thread. Catches off-heap growth (Buffers) that V8's
 * heap cap cannot; a task stuck in synchronous code is still bounded by that
 * heap cap only.
 */
export function watchOwnMemory(hard: number, busy: () => boolean, over: (mem: number) => void): void {
  let reported = false;
  setInterval(() => {
    if (reported || !busy()) return;
    const mem = memoryUse(false);
    if (mem > hard) {
      reported = true;
      over(mem);
    }
  }, THREAD_MEMORY_POLL_MS).unref();
}

/** This worker's memory: a process's RSS, or a thread's own V8 heap and external memory. */
export function memoryUse(inProcess: boolean): number {
  if (!inProcess) {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  }
  return process.memoryUsage.rss();
}
