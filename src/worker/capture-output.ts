/**
 * Routes a worker's stdout/stderr (and so `console.*`) through the protocol.
 *
 * Text goes out as it is written, tagged with the running task; the parent
 * joins it into whole lines per worker and stream. Sending at once (instead of
 * buffering lines here) is what keeps the last words of a worker that crashes
 * right after writing: they are already in the kernel when it dies.
 */
export function captureOutput(sink: (stream: 'stdout' | 'stderr', text: string) => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream];
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
    target.write = write as typeof target.write;
  }
}
