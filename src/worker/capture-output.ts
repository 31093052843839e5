/**
 * Routes a worker's stdout/stderr (and so `console.*`) through the protocol.
 *
 * Text goes out as it is written, tagged with the running task; the parent
 * joins it into whole lines per worker and stream. Sending at once (instead of
 * buffering lines here) is what keeps the last words of a worker that crashes
 * right after writing: they are already in the kernel when it dies.
 *
 * The streams are patched when first used, not here: Node builds
 * `process.stdout` on first access, and for a pipe that means loading
 * `node:net` and opening a socket, several milliseconds of a worker's
 * start-up that a module which never logs does not need.
 */
export function captureOutput(sink: (stream: 'stdout' | 'stderr', text: string) => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const write = function (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const text = typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      try {
        sink(stream, text);
      } catch {
        // Never let logging break a task.
      }
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
    const patch = (target: NodeJS.WriteStream) => {
      target.write = write as typeof target.write;
      return target;
    };
    const own = Object.getOwnPropertyDescriptor(process, stream);
    if (!own?.get || !own.configurable) {
      patch(process[stream]);
      continue;
    }
    // Node's getter builds the stream once and keeps it: patch that one on first use.
    const build = own.get;
    let patched: NodeJS.WriteStream | undefined;
    Object.defineProperty(process, stream, {
      configurable: true,
      enumerable: own.enumerable,
      get: () => (patched ??= patch(build.call(process) as NodeJS.WriteStream)),
    });
  }
}
